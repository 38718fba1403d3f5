import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import definitions from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { FakeGitHub, jsonResponse, pkcs1KeyPair } from "../../../capabilities/github/testing.ts";
import { ALL_CAPABILITY_KINDS } from "../../../capabilities/index.ts";
import { createWorker } from "../../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry } from "../../../kernel/index.ts";
import { builtinFlowDocument } from "../index.ts";

/**
 * End to end in workerd: a signed webhook delivery enters the host's built-in webhook flow, which routes it by
 * the apps' GitHub triggers; the apps call the stand-in GitHub API with an installation token cached in the
 * local KV namespace.
 */

const SECRET = "apps-e2e-secret";
const APPS = ["auto-label", "pr-size", "welcome"].map((name) =>
  builtinFlowDocument(`flows/builtin/apps/${name}.yaml`),
);

const example = (event: string, action: string): Record<string, unknown> => {
  const list = definitions as unknown as { name: string; examples: { action?: string }[] }[];
  return structuredClone(
    list.find((d) => d.name === event)!.examples.find((x) => x.action === action)!,
  ) as Record<string, unknown>;
};

describe("ready-made apps behind the webhook flow (workerd)", () => {
  it("routes pull_request.opened to auto-label, pr-size and welcome, and issues.opened to welcome only", async () => {
    const gh = new FakeGitHub();
    gh.on("GET /repos/{owner}/{repo}/pulls/{n}/files", () =>
      jsonResponse(200, [{ filename: "docs/intro.md" }]),
    );
    gh.on("POST /repos/{owner}/{repo}/issues/{n}/labels", (call) =>
      jsonResponse(
        200,
        (call.body as { labels: string[] }).labels.map((name) => ({ name })),
      ),
    );
    gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () =>
      jsonResponse(201, { html_url: "https://x/c" }),
    );
    const worker = createWorker(APPS, {
      registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS),
      runOptions: () => ({ fetch: gh.fetch as typeof fetch }),
      log: () => {},
    });
    const bindings = {
      ...env,
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_APP_ID: "42",
      GITHUB_PRIVATE_KEY: (await pkcs1KeyPair()).pem,
      GITHUB_CACHE: (env as unknown as { FLOW_KV: KVNamespace }).FLOW_KV,
      GITHUB_API_URL: gh.base,
    };
    const installation = 7_000_000 + Math.floor(Math.random() * 1_000_000);
    const deliver = async (event: string, payload: Record<string, unknown>) => {
      payload.installation = { id: installation, node_id: "x" };
      const body = JSON.stringify(payload);
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request("http://flows.test/api/github/webhooks", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": crypto.randomUUID(),
            "x-hub-signature-256": await sign(SECRET, body),
          },
          body,
        }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };

    const pr = example("pull_request", "opened") as { pull_request: Record<string, unknown> };
    Object.assign(pr.pull_request, {
      additions: 3,
      deletions: 1,
      labels: [],
      author_association: "FIRST_TIMER",
    });
    const first = await deliver("pull_request", pr);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { flows: string[] }).flows.sort()).toEqual([
      "github-app-auto-label",
      "github-app-pr-size",
      "github-app-welcome",
    ]);
    // One token request for the three apps: they share it within the delivery's run, then KV has it.
    expect(gh.lines().filter((l) => l.endsWith("/access_tokens"))).toEqual([
      `POST /app/installations/${installation}/access_tokens`,
    ]);
    expect(gh.lines({ tokens: false }).sort()).toEqual([
      "GET /repos/Codertocat/Hello-World/pulls/2/files?per_page=100",
      "POST /repos/Codertocat/Hello-World/issues/2/comments",
      "POST /repos/Codertocat/Hello-World/issues/2/labels",
      "POST /repos/Codertocat/Hello-World/issues/2/labels",
    ]);
    const labels = gh.calls.filter((c) => c.path.endsWith("/labels")).map((c) => c.body);
    expect(labels).toContainEqual({ labels: ["documentation"] });
    expect(labels).toContainEqual({ labels: ["size/XS"] });

    const before = gh.calls.length;
    const issue = example("issues", "opened") as { issue: Record<string, unknown> };
    issue.issue.author_association = "FIRST_TIME_CONTRIBUTOR";
    const second = await deliver("issues", issue);
    expect(second.status).toBe(200);
    expect(((await second.json()) as { flows: string[] }).flows).toEqual(["github-app-welcome"]);
    // The installation token is in KV by now: the second delivery makes no token request.
    expect(gh.lines().slice(before)).toEqual(["POST /repos/Codertocat/Hello-World/issues/1/comments"]);
    expect(gh.calls.at(-1)!.headers.authorization).toMatch(/^token ghs_test\d$/);
  });
});
