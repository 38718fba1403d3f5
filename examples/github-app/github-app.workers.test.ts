import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import definitions from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it, vi } from "vitest";

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
    // The durable review reminder takes pull_request.opened too (below).
    expect(await response.json()).toMatchObject({
      flows: ["github-pull-request-size", "github-review-reminder"],
    });
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

describe("examples/github-app: the durable review reminder", () => {
  const workflow = (env as unknown as { FLOWS_WORKFLOW: Workflow }).FLOWS_WORKFLOW;
  const statusOf = async (id: string) => (await workflow.get(id)).status();
  const opened = () =>
    structuredClone(example("pull_request", "opened")) as {
      repository: { full_name: string };
      pull_request: { number: number };
    };

  it("waits for a review after pull_request.opened; the review flow's durable.event ends it without a reminder", async () => {
    const payload = opened();
    payload.pull_request.number = 9001;
    const delivery = crypto.randomUUID();
    expect((await deliver("pull_request", payload, delivery)).status).toBe(200);
    const runId = `github-review-reminder_${delivery}`;
    const key = `github/reviews/${payload.repository.full_name}/9001`;
    await vi.waitFor(async () => expect(await env.FLOW_KV.get(key)).toBe(runId));
    const review = structuredClone(example("pull_request_review", "submitted")) as {
      repository: unknown;
      pull_request: { number: number };
      review: { user: { login: string } };
    };
    review.repository = payload.repository;
    review.pull_request.number = 9001;
    const resumed = await deliver("pull_request_review", review);
    expect(await resumed.json()).toMatchObject({ flows: ["github-review-submitted"] });
    await vi.waitFor(async () => expect((await statusOf(runId)).status).toBe("complete"), {
      timeout: 10_000,
    });
    expect((await statusOf(runId)).output).toEqual({ reviewedBy: review.review.user.login });
    expect(await env.FLOW_KV.get(key)).toBeNull();
  });

  it("comments a reminder when no review came in two days (time skipped, GitHub's answer mocked)", async () => {
    const payload = opened();
    payload.pull_request.number = 9002;
    const delivery = crypto.randomUUID();
    const runId = `github-review-reminder_${delivery}`;
    const instance = await introspectWorkflowInstance(workflow, runId);
    try {
      const comment = "https://github.com/octo/repo/pull/9002#issuecomment-1";
      await instance.modify(async (m) => {
        await m.forceEventTimeout({ name: "review#1" });
        await m.mockStepResult(
          { name: "remind#1" },
          { status: 201, headers: {}, body: { html_url: comment } },
        );
      });
      expect((await deliver("pull_request", payload, delivery)).status).toBe(200);
      await instance.waitForStatus("complete");
      expect(await instance.getOutput()).toEqual({ reminded: comment });
      // A redelivery of the same delivery starts no second reminder.
      expect((await deliver("pull_request", payload, delivery)).status).toBe(200);
      expect((await statusOf(runId)).status).toBe("complete");
    } finally {
      await instance.dispose();
    }
  });
});
