import { type FakeGitHub, jsonResponse, type RecordedCall } from "../../../capabilities/github/testing.ts";

/**
 * Test support for the flow-plan app (web standards only: Node and workerd tests share it): one repository on the
 * recording GitHub stand-in, with the files of each commit, a compare answer, and the issue comments of its pull
 * requests kept in memory as GitHub keeps them (created, listed, edited).
 */

export interface StoredComment {
  id: number;
  body: string;
  user: { login: string; type: "Bot" | "User" };
  html_url: string;
}

/** A changed file as the compare API lists it. */
export interface ChangedFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  previous_filename?: string;
}

const base64 = (text: string): string => {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/(.{60})/g, "$1\n");
};

export class StandInRepository {
  /** File contents by commit sha, then path. */
  readonly commits = new Map<string, Record<string, string>>();
  /** What `GET /compare/{base}...{head}` answers, by `base...head`. */
  readonly compares = new Map<string, { mergeBase: string; files: ChangedFile[] }>();
  readonly comments: StoredComment[] = [];
  readonly bot: string;
  #nextId = 1000;

  constructor(gh: FakeGitHub, owner: string, repo: string, bot = "flows-app[bot]") {
    this.bot = bot;
    const prefix = `/repos/${owner}/${repo}`;
    gh.on("GET /repos/{owner}/{repo}/compare/{basehead}", (_call, params) => {
      const found = this.compares.get(params.basehead!);
      if (!found) return jsonResponse(404, { message: "Not Found" });
      return jsonResponse(200, { merge_base_commit: { sha: found.mergeBase }, files: found.files });
    });
    // Contents paths hold slashes: a route of its own (the stand-in's `{param}` stops at `/`).
    gh.routes.unshift({
      method: "GET",
      pattern: new RegExp(`^${prefix}/contents/(.+?)(?:\\?.*)?$`),
      names: ["path"],
      handler: (call: RecordedCall, params) => {
        const ref = new URL(call.path, gh.base).searchParams.get("ref") ?? "";
        const text = this.commits.get(ref)?.[params.path!];
        if (text === undefined) return jsonResponse(404, { message: "Not Found" });
        return jsonResponse(200, {
          type: "file",
          path: params.path,
          encoding: "base64",
          content: base64(text),
        });
      },
    });
    gh.on("GET /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(200, this.comments));
    gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", (call, params) => {
      const id = this.#nextId++;
      const comment: StoredComment = {
        id,
        body: (call.body as { body: string }).body,
        user: { login: this.bot, type: "Bot" },
        html_url: `https://github.test/${owner}/${repo}/pull/${params.n}#issuecomment-${id}`,
      };
      this.comments.push(comment);
      return jsonResponse(201, comment);
    });
    gh.on("PATCH /repos/{owner}/{repo}/issues/comments/{id}", (call, params) => {
      const comment = this.comments.find((c) => c.id === Number(params.id));
      if (!comment) return jsonResponse(404, { message: "Not Found" });
      comment.body = (call.body as { body: string }).body;
      return jsonResponse(200, comment);
    });
  }

  /** A comment by someone else. */
  commentAs(login: string, body: string): void {
    const id = this.#nextId++;
    this.comments.push({ id, body, user: { login, type: "User" }, html_url: `https://github.test/c/${id}` });
  }
}
