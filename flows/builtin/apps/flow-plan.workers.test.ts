import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import definitions from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { FakeGitHub, pkcs1KeyPair } from "../../../capabilities/github/testing.ts";
import { ALL_CAPABILITY_KINDS } from "../../../capabilities/index.ts";
import { createWorker } from "../../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry } from "../../../kernel/index.ts";
import { builtinFlowDocument } from "../index.ts";
import { StandInRepository } from "./testing.ts";

/**
 * The flow-plan app end to end in workerd: signed `pull_request` deliveries (GitHub's example payloads) enter the
 * built-in webhook flow, the app fetches the flow files through the stand-in GitHub API, `changes.plan` computes
 * the plan inside the Worker, and one comment is created, kept on a redelivery, and updated on the next push.
 */

const SECRET = "flow-plan-e2e-secret";
const ORDERS = "flows/orders.yaml";
const MERGE_BASE = "cccccccccccccccccccccccccccccccccccccccc";

const ORDERS_V1 = `flows: 1
id: orders
version: 1.0.0
triggers:
  - { type: http, method: POST, path: /orders }
nodes:
  - { id: reply, kind: respond, inputs: { body: "\${{ trigger.body }}" } }
`;
const ORDERS_V2 = ORDERS_V1.replace("version: 1.0.0", "version: 1.1.0").replace(
  "nodes:",
  "  - { type: cron, schedule: '0 * * * *' }\nnodes:",
);
const ORDERS_V3 = ORDERS_V1.replace("path: /orders", "path: /v2/orders");

function payload(action: string, head: string): Record<string, unknown> {
  const list = definitions as unknown as { name: string; examples: { action?: string }[] }[];
  const found = structuredClone(
    list.find((d) => d.name === "pull_request")!.examples.find((x) => x.action === action)!,
  );
  const pr = found as { pull_request: { head: { sha: string } } };
  pr.pull_request.head.sha = head;
  return found as Record<string, unknown>;
}

describe("flow-plan app behind the webhook flow (workerd)", () => {
  it("creates one plan comment, keeps it on a redelivered delivery, and edits it on the next push", async () => {
    const gh = new FakeGitHub();
    const repo = new StandInRepository(gh, "Codertocat", "Hello-World");
    const first = payload("opened", "1".repeat(40));
    const base = (first.pull_request as { base: { sha: string } }).base.sha;
    repo.commits.set(MERGE_BASE, { [ORDERS]: ORDERS_V1 });
    repo.commits.set("1".repeat(40), { [ORDERS]: ORDERS_V2 });
    repo.commits.set("2".repeat(40), { [ORDERS]: ORDERS_V3 });
    for (const head of ["1", "2"])
      repo.compares.set(`${base}...${head.repeat(40)}`, {
        mergeBase: MERGE_BASE,
        files: [{ filename: ORDERS, status: "modified" }],
      });

    const worker = createWorker([builtinFlowDocument("flows/builtin/apps/flow-plan.yaml")], {
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
    const installation = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    const deliver = async (body: Record<string, unknown>, delivery: string) => {
      body.installation = { id: installation, node_id: "x" };
      const text = JSON.stringify(body);
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request("http://flows.test/api/github/webhooks", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "pull_request",
            "x-github-delivery": delivery,
            "x-hub-signature-256": await sign(SECRET, text),
          },
          body: text,
        }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };
    const writes = () => gh.lines({ tokens: false }).filter((l) => !l.startsWith("GET "));
    const mine = () => repo.comments.filter((c) => c.user.type === "Bot");

    const delivery = crypto.randomUUID();
    expect((await deliver(first, delivery)).status).toBe(200);
    expect(writes()).toEqual(["POST /repos/Codertocat/Hello-World/issues/2/comments"]);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toMatch(
      /^<!-- flows-plan -->\n### Flow plan: 1 flow \(1 changed\), 2 changes, 0 breaking\n/,
    );
    expect(mine()[0]!.body).toContain("➕ new schedule `0 * * * *` (UTC)");

    // GitHub redelivers the same delivery: the webhook flow's de-duplication answers it, the app does not run.
    const calls = gh.calls.length;
    expect((await deliver(first, delivery)).status).toBe(200);
    expect(gh.calls.length).toBe(calls);
    // The same event under a new delivery id (a resend): the app runs, finds its comment, posts nothing.
    expect((await deliver(first, crypto.randomUUID())).status).toBe(200);
    expect(writes()).toEqual(["POST /repos/Codertocat/Hello-World/issues/2/comments"]);

    expect((await deliver(payload("synchronize", "2".repeat(40)), crypto.randomUUID())).status).toBe(200);
    expect(writes()).toEqual([
      "POST /repos/Codertocat/Hello-World/issues/2/comments",
      `PATCH /repos/Codertocat/Hello-World/issues/comments/${mine()[0]!.id}`,
    ]);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain("**Breaking:** route `POST /orders` is now `POST /v2/orders`");
  });
});
