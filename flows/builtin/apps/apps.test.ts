import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CHANGES_KINDS } from "../../../capabilities/changes/kinds.ts";
import { GITHUB_KINDS } from "../../../capabilities/github/kinds.ts";
import { FakeGitHub, jsonResponse, MemoryKv, pkcs1KeyPair } from "../../../capabilities/github/testing.ts";
import { defaultCatalog } from "../../../cli/catalog.ts";
import {
  BUILTIN_KINDS,
  createPlan,
  createRegistry,
  type ExecutionPlan,
  type RunOptions,
  runFlow,
} from "../../../kernel/index.ts";
import type { FlowDocument } from "../../ir/types.ts";
import { validateFlows } from "../../validate/index.ts";

/**
 * The ready-made GitHub apps, run as the webhook flow runs them (a `github` trigger event as `trigger`) against
 * the stand-in GitHub API: each makes exactly the expected requests. Payloads are GitHub's own examples
 * (`@octokit/webhooks-examples`), adapted per case.
 */

const DIR = import.meta.dirname;
const EXAMPLES = JSON.parse(
  readFileSync(
    join(DIR, "../../../node_modules/@octokit/webhooks-examples/api.github.com/index.json"),
    "utf8",
  ),
) as { name: string; examples: { action?: string }[] }[];

// biome-ignore lint/suspicious/noExplicitAny: GitHub's example payloads, adapted field by field in the tests.
type Payload = Record<string, any>;

function example(event: string, action: string): Payload {
  const found = EXAMPLES.find((e) => e.name === event)?.examples.find((x) => x.action === action);
  if (!found) throw new Error(`no example ${event}.${action}`);
  return structuredClone(found) as Payload;
}

const INSTALLATION = 4242;

function delivery(event: string, action: string, payload: Payload) {
  payload.installation = { id: INSTALLATION, node_id: "x" };
  return {
    type: "github",
    id: "github",
    name: `${event}.${action}`,
    event,
    action,
    deliveryId: crypto.randomUUID(),
    hookId: null,
    installationId: INSTALLATION,
    payload,
  };
}

const sources = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((file) => ({ file: `flows/builtin/apps/${file}`, text: readFileSync(join(DIR, file), "utf8") }));

describe("ready-made GitHub apps (flows/builtin/apps)", () => {
  const registry = createRegistry(BUILTIN_KINDS, GITHUB_KINDS, CHANGES_KINDS);
  const plans = new Map<string, ExecutionPlan>();
  let pem = "";

  beforeAll(async () => {
    pem = (await pkcs1KeyPair()).pem;
    const result = validateFlows(sources, defaultCatalog());
    expect(result.diagnostics).toEqual([]);
    for (const flow of result.flows) {
      const doc = flow.document as FlowDocument;
      plans.set(doc.id, createPlan(doc, { registry }));
    }
  });

  it("validates: six flows with the documented ids", () => {
    expect([...plans.keys()].sort()).toEqual([
      "github-app-auto-label",
      "github-app-flow-plan",
      "github-app-pr-size",
      "github-app-stale-issues",
      "github-app-stale-repo",
      "github-app-welcome",
    ]);
  });

  const start = async (
    flowId: string,
    trigger: unknown,
    gh: FakeGitHub,
    options: Partial<RunOptions> = {},
  ) => {
    const result = await runFlow(plans.get(flowId)!, {
      trigger,
      // GITHUB_API_URL (a var) points every node at the stand-in, as it would at GitHub Enterprise.
      env: {
        GITHUB_APP_ID: "42",
        GITHUB_PRIVATE_KEY: pem,
        GITHUB_CACHE: new MemoryKv(),
        GITHUB_API_URL: gh.base,
      },
      fetch: gh.fetch as typeof fetch,
      plans,
      ...options,
    });
    expect(result.error).toBeUndefined();
    return result.output as Record<string, unknown>;
  };
  const token = `POST /app/installations/${INSTALLATION}/access_tokens`;

  describe("auto-label", () => {
    const pr = (labels: string[]) => {
      const payload = example("pull_request", "opened");
      payload.pull_request.labels = labels.map((name) => ({ name }));
      return delivery("pull_request", "opened", payload);
    };
    const files = (gh: FakeGitHub, names: string[][]) =>
      gh.on("GET /repos/{owner}/{repo}/pulls/{n}/files", (call) => {
        const page = Number(new URL(call.path, gh.base).searchParams.get("page") ?? "1");
        const link: Record<string, string> =
          page < names.length
            ? {
                link: `<${gh.base}/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=${page + 1}>; rel="next"`,
              }
            : {};
        return jsonResponse(
          200,
          names[page - 1]!.map((filename) => ({ filename })),
          link,
        );
      });

    it("adds the labels whose patterns match a changed path (files over two pages), except those present", async () => {
      const gh = new FakeGitHub();
      files(gh, [
        ["docs/guide.md", "src/app.ts"],
        [".github/workflows/ci.yml", "package.json"],
      ]);
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/labels", (call) =>
        jsonResponse(
          200,
          (call.body as { labels: string[] }).labels.map((name) => ({ name })),
        ),
      );
      const out = await start("github-app-auto-label", pr(["ci"]), gh);
      expect(gh.lines()).toEqual([
        token,
        "GET /repos/Codertocat/Hello-World/pulls/2/files?per_page=100",
        "GET /repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=2",
        "POST /repos/Codertocat/Hello-World/issues/2/labels",
      ]);
      expect(gh.calls.at(-1)!.body).toEqual({ labels: ["documentation", "dependencies"] });
      expect(out.added).toEqual(["documentation", "dependencies"]);
    });

    it("makes no label request when nothing matches", async () => {
      const gh = new FakeGitHub();
      files(gh, [["src/app.ts"]]);
      await start("github-app-auto-label", pr([]), gh);
      expect(gh.lines()).toEqual([token, "GET /repos/Codertocat/Hello-World/pulls/2/files?per_page=100"]);
    });
  });

  describe("pr-size", () => {
    const pr = (additions: number, deletions: number, labels: string[]) => {
      const payload = example("pull_request", "opened");
      Object.assign(payload.pull_request, { additions, deletions, labels: labels.map((name) => ({ name })) });
      return delivery("pull_request", "opened", payload);
    };

    it("replaces a stale size label: DELETE size/XL, then POST size/S (25 changed lines)", async () => {
      const gh = new FakeGitHub();
      gh.on("DELETE /repos/{owner}/{repo}/issues/{n}/labels/{name}", () => jsonResponse(200, []));
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/labels", () => jsonResponse(200, [{ name: "size/S" }]));
      const out = await start("github-app-pr-size", pr(20, 5, ["size/XL", "bug"]), gh);
      expect(gh.lines()).toEqual([
        token,
        "DELETE /repos/Codertocat/Hello-World/issues/2/labels/size/XL",
        "POST /repos/Codertocat/Hello-World/issues/2/labels",
      ]);
      expect(gh.calls.at(-1)!.body).toEqual({ labels: ["size/S"] });
      expect((out.size as { label: string }).label).toBe("size/S");
    });

    it("labels by the thresholds (0 → XS, 1000 → XXL) and makes no request when the label is right", async () => {
      for (const [changed, label] of [
        [0, "size/XS"],
        [99, "size/M"],
        [100, "size/L"],
        [1000, "size/XXL"],
      ] as const) {
        const gh = new FakeGitHub();
        gh.on("POST /repos/{owner}/{repo}/issues/{n}/labels", () => jsonResponse(200, [{ name: label }]));
        await start("github-app-pr-size", pr(changed, 0, []), gh);
        expect(gh.calls.at(-1)!.body).toEqual({ labels: [label] });
      }
      const gh = new FakeGitHub();
      await start("github-app-pr-size", pr(20, 5, ["size/S"]), gh);
      expect(gh.lines()).toEqual([]);
    });
  });

  describe("welcome", () => {
    const comment = (gh: FakeGitHub) =>
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () =>
        jsonResponse(201, { html_url: "https://github.test/c/1" }),
      );

    it("welcomes a pull request by a first-time contributor without looking anything up", async () => {
      const gh = comment(new FakeGitHub());
      const payload = example("pull_request", "opened");
      payload.pull_request.author_association = "FIRST_TIME_CONTRIBUTOR";
      const out = await start("github-app-welcome", delivery("pull_request", "opened", payload), gh);
      expect(gh.lines()).toEqual([token, "POST /repos/Codertocat/Hello-World/issues/2/comments"]);
      expect(gh.calls.at(-1)!.body).toEqual({
        body: "@Codertocat Thanks for your first pull request! A maintainer will review it soon.",
      });
      expect(out).toEqual({ firstTime: true, comment: "https://github.test/c/1" });
    });

    it("welcomes an issue by an author without association whose only issue it is; not a returning one", async () => {
      for (const [history, expected] of [
        [[{ number: 1 }], true],
        [[{ number: 1 }, { number: 0 }], false],
      ] as const) {
        const gh = comment(new FakeGitHub());
        gh.on("GET /repos/{owner}/{repo}/issues", () => jsonResponse(200, history));
        const payload = example("issues", "opened");
        payload.issue.author_association = "NONE";
        await start("github-app-welcome", delivery("issues", "opened", payload), gh);
        expect(gh.lines()).toEqual([
          token,
          "GET /repos/Codertocat/Hello-World/issues?creator=Codertocat&state=all&per_page=2",
          ...(expected ? ["POST /repos/Codertocat/Hello-World/issues/1/comments"] : []),
        ]);
        if (expected)
          expect(gh.calls.at(-1)!.body).toEqual({
            body: "@Codertocat Thanks for opening your first issue here! We will look at it soon.",
          });
      }
    });

    it("makes no request for the repository's owner (GitHub's example: author_association OWNER)", async () => {
      const gh = comment(new FakeGitHub());
      const out = await start(
        "github-app-welcome",
        delivery("issues", "opened", example("issues", "opened")),
        gh,
      );
      expect(gh.lines()).toEqual([]);
      expect(out).toEqual({ firstTime: false });
    });
  });

  describe("stale issues (cron)", () => {
    it("closes, with a comment and one at a time, the open issues idle for STALE_DAYS, except PRs and exempt labels", async () => {
      const gh = new FakeGitHub();
      const day = 86_400_000;
      const now = Date.parse("2026-11-25T03:17:00.000Z");
      const at = (days: number) => new Date(now - days * day).toISOString();
      gh.on("GET /repos/{owner}/{repo}/issues", () =>
        jsonResponse(200, [
          { number: 5, updated_at: at(200), labels: [] },
          { number: 3, updated_at: at(100), labels: [], pull_request: { url: "x" } },
          { number: 1, updated_at: at(61), labels: [{ name: "bug" }] },
          { number: 4, updated_at: at(100), labels: [{ name: "pinned" }] },
          { number: 2, updated_at: at(59), labels: [] },
        ]),
      );
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, {}));
      gh.on("PATCH /repos/{owner}/{repo}/issues/{n}", () => jsonResponse(200, { state: "closed" }));
      const out = await start(
        "github-app-stale-issues",
        { type: "cron", id: "cron", schedule: "17 3 * * *", scheduledTime: new Date(now).toISOString() },
        gh,
        { vars: { STALE_REPOS: [{ owner: "octo", repo: "hello", installationId: INSTALLATION }] } },
      );
      expect(gh.lines()).toEqual([
        token,
        "GET /repos/octo/hello/issues?state=open&sort=updated&direction=asc&per_page=100",
        "POST /repos/octo/hello/issues/5/comments",
        "PATCH /repos/octo/hello/issues/5",
        "POST /repos/octo/hello/issues/1/comments",
        "PATCH /repos/octo/hello/issues/1",
      ]);
      expect(gh.calls[3]!.body).toEqual({ state: "closed", state_reason: "not_planned" });
      expect((gh.calls[2]!.body as { body: string }).body).toMatch(/^This issue has had no activity/);
      expect(out).toEqual([{ repo: "octo/hello", closed: [5, 1] }]);
    });

    it("does nothing without configured repositories", async () => {
      const gh = new FakeGitHub();
      const out = await start(
        "github-app-stale-issues",
        { type: "cron", scheduledTime: "2026-11-25T03:17:00.000Z" },
        gh,
      );
      expect(gh.lines()).toEqual([]);
      expect(out).toEqual([]);
    });
  });
});
