import { env, exports } from "cloudflare:workers";
import definitions from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";

// The example worker (wrangler.toml `main`, `npm start`) serving examples/github-app at POST /api/github/webhooks,
// with the test secret vitest.config.ts binds as GITHUB_WEBHOOK_SECRET.
const SECRET = "flows-test-webhook-secret";

const example = (event: string, action: string): Record<string, unknown> => {
  const found = (definitions as unknown as { name: string; examples: Record<string, unknown>[] }[])
    .find((d) => d.name === event)
    ?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no ${event}.${action} example`);
  return found;
};

async function deliver(event: string, payload: unknown, id = crypto.randomUUID()): Promise<Response> {
  const body = JSON.stringify(payload);
  return exports.default.fetch("http://flows.test/api/github/webhooks", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": await sign(SECRET, body),
    },
    body,
  });
}

describe("examples/github-app, served by the example worker", () => {
  it("stores an opened issue in KV and serves it back", async () => {
    const payload = example("issues", "opened") as {
      repository: { full_name: string };
      issue: { number: number; title: string };
    };
    const response = await deliver("issues", payload);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ok: true,
      event: "issues.opened",
      flows: ["github-issue-opened"],
    });
    const key = `github/issues/${payload.repository.full_name}/${payload.issue.number}`;
    expect(JSON.parse((await env.FLOW_KV.get(key)) ?? "null")).toMatchObject({
      title: payload.issue.title,
      event: "issues.opened",
    });
    const read = await exports.default.fetch(`http://flows.test/${key}`);
    expect(await read.json()).toMatchObject({ number: payload.issue.number });
  });

  it("labels a pull request by size", async () => {
    const payload = structuredClone(example("pull_request", "opened")) as {
      repository: { full_name: string };
      pull_request: { number: number; additions: number; deletions: number };
    };
    payload.pull_request.additions = 120;
    payload.pull_request.deletions = 30;
    const response = await deliver("pull_request", payload);
    expect(await response.json()).toMatchObject({ flows: ["github-pull-request-size"] });
    const read = await exports.default.fetch(
      `http://flows.test/github/pulls/${payload.repository.full_name}/${payload.pull_request.number}`,
    );
    expect(await read.json()).toMatchObject({ lines: 150, label: "size/M" });
  });

  it("acknowledges events no flow takes, refuses bad signatures and marks redeliveries", async () => {
    const star = await deliver("star", example("star", "created"));
    expect(await star.json()).toMatchObject({ ok: true, flows: [] });
    const id = crypto.randomUUID();
    await deliver("issues", example("issues", "opened"), id);
    const again = await deliver("issues", example("issues", "opened"), id);
    expect(again.headers.get("x-flows-duplicate")).toBe("true");
    const forged = await exports.default.fetch("http://flows.test/api/github/webhooks", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": crypto.randomUUID(),
        "x-hub-signature-256": `sha256=${"ab".repeat(32)}`,
      },
      body: "{}",
    });
    expect(forged.status).toBe(401);
  });
});
