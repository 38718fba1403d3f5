import { createExecutionContext, createMessageBatch, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import definitions from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { eventMatches, verifyWebhookSignature } from "../../capabilities/github/webhook/index.ts";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

const SECRET = "test-secret-one";
const PREVIOUS = "test-secret-zero";
const PATH = "/api/github/webhooks";

// Every routed run records what its flow saw, read through trigger expressions.
const ran: Record<string, unknown>[] = [];
const record: NodeKind = {
  spec: {
    kind: "test.record",
    description: "Records its inputs.",
    effect: "external",
    determinism: "nondeterministic",
    inputs: {},
    openInputs: true,
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) => {
    ran.push({ ...ctx.inputs });
    return { out: ctx.inputs.flow };
  },
};

const routed = (id: string, events: string[], extra: Partial<FlowDocument> = {}): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
  triggers: [{ type: "github", events }],
  nodes: [
    {
      id: "seen",
      kind: "test.record",
      inputs: {
        flow: id,
        type: "${{ trigger.type }}",
        name: "${{ trigger.name }}",
        event: "${{ trigger.event }}",
        action: "${{ trigger.action }}",
        deliveryId: "${{ trigger.deliveryId }}",
        installationId: "${{ trigger.installationId }}",
        hasPayload: "${{ has(trigger.payload.sender) || size(trigger.payload) > 0 }}",
      },
    },
  ],
  ...extra,
});

const ROUTES: Record<string, string[]> = {
  "on-issue-opened": ["issues.opened"],
  "on-pull-request": ["pull_request.*"],
  "on-push": ["push"],
  "on-everything": ["*"],
};
const flows = Object.entries(ROUTES).map(([id, events]) => routed(id, events));
const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, record);
const worker = createWorker(flows, { registry, log: () => {} });
const bindings = { ...env, GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_WEBHOOK_SECRET_PREVIOUS: PREVIOUS };

/** The flows a delivery should reach, computed independently of the code under test. */
function expectedFlows(event: string, action: string | null): string[] {
  if (event === "ping") return [];
  return Object.entries(ROUTES)
    .filter(([, patterns]) =>
      patterns.some(
        (p) =>
          p === "*" || p === event || p === `${event}.*` || (action !== null && p === `${event}.${action}`),
      ),
    )
    .map(([id]) => id);
}

interface Delivery {
  event?: string;
  id?: string;
  body?: string | Uint8Array;
  signature?: string | null;
  contentType?: string;
}

async function deliver(
  d: Delivery,
  target: { fetch: typeof worker.fetch } = worker,
  envOverride: object = bindings,
): Promise<Response> {
  const body = d.body ?? "{}";
  const headers: Record<string, string> = { "content-type": d.contentType ?? "application/json" };
  if (d.event !== undefined) headers["x-github-event"] = d.event;
  if (d.id !== undefined) headers["x-github-delivery"] = d.id;
  if (d.signature !== null) {
    headers["x-hub-signature-256"] =
      d.signature ?? (await sign(SECRET, typeof body === "string" ? body : new TextDecoder().decode(body)));
  }
  const ctx = createExecutionContext();
  const response = await target.fetch(
    new Request(`http://flows.test${PATH}`, { method: "POST", headers, body }),
    envOverride,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string; details?: unknown } }).error;

describe("GitHub webhook signatures", () => {
  it("passes GitHub's documented test vector", async () => {
    const expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await sign("It's a Secret to Everybody", "Hello, World!")).toBe(expected);
    expect(await verifyWebhookSignature("It's a Secret to Everybody", [], "Hello, World!", expected)).toBe(
      true,
    );
    expect(await verifyWebhookSignature("another secret", [], "Hello, World!", expected)).toBe(false);
    expect(await verifyWebhookSignature("x", ["It's a Secret to Everybody"], "Hello, World!", expected)).toBe(
      true,
    );
  });

  it("verifies the exact bytes received, even bytes that are not valid UTF-8, with each secret of a rotation", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x7d]); // not UTF-8: text would alter it
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("bytes-secret"),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
    const signature = `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    expect(await verifyWebhookSignature("bytes-secret", [], bytes, signature)).toBe(true);
    expect(await verifyWebhookSignature("new-secret", ["bytes-secret"], bytes, signature)).toBe(true);
    expect(await verifyWebhookSignature("bytes-secret", [], bytes.subarray(1), signature)).toBe(false);
    // Again with the keys already imported: the cache answers the same.
    expect(await verifyWebhookSignature("bytes-secret", [], bytes, signature)).toBe(true);
    expect(await verifyWebhookSignature("new-secret", [], bytes, signature)).toBe(false);
  });

  it("treats a signature without hex digits as invalid instead of throwing", async () => {
    for (const bad of ["sha256=", "sha256=zz", "sha1=abc", `sha256=XYZ${"0".repeat(61)}`, ""]) {
      expect(await verifyWebhookSignature("s", [], "{}", bad)).toBe(false);
    }
  });

  it("matches event patterns: *, event, event.*, event.action", () => {
    expect(eventMatches("*", "push", null)).toBe(true);
    expect(eventMatches("issues", "issues", "opened")).toBe(true);
    expect(eventMatches("issues.*", "issues", "closed")).toBe(true);
    expect(eventMatches("issues.opened", "issues", "closed")).toBe(false);
    expect(eventMatches("issues.opened", "issue_comment", "opened")).toBe(false);
  });
});

const examples = (definitions as unknown as { name: string; examples: Record<string, unknown>[] }[]).flatMap(
  (d) => d.examples.map((payload, i) => ({ event: d.name, payload, i })),
);

describe("the built-in webhook flow in workerd, driven by @octokit/webhooks-examples", () => {
  it(`routes every example payload (${examples.length} payloads, every event type) to the flows whose triggers take it`, async () => {
    expect(new Set(examples.map((e) => e.event)).size).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const { event, payload, i } of examples) {
      const id = crypto.randomUUID();
      const action = typeof payload.action === "string" ? payload.action : null;
      const response = await deliver({ event, id, body: JSON.stringify(payload) });
      const body = (await response.json()) as { event: string; flows?: string[]; deliveryId: string };
      const expected = expectedFlows(event, action);
      const seen = ran.filter((r) => r.deliveryId === id);
      const label = `${event}#${i}`;
      if (response.status !== 200)
        failures.push(`${label}: status ${response.status} ${JSON.stringify(body)}`);
      else if (event === "ping") {
        if (body.event !== "ping" || seen.length > 0)
          failures.push(`${label}: ping answered ${JSON.stringify(body)}`);
      } else {
        const name = action ? `${event}.${action}` : event;
        if (JSON.stringify(body.flows) !== JSON.stringify(expected) || body.event !== name)
          failures.push(`${label}: answered ${JSON.stringify(body)}, expected flows ${expected}`);
        if (JSON.stringify(seen.map((r) => r.flow).sort()) !== JSON.stringify([...expected].sort()))
          failures.push(`${label}: ran ${seen.map((r) => r.flow)}, expected ${expected}`);
        const installation = (payload.installation as { id?: number } | undefined)?.id ?? null;
        for (const r of seen) {
          if (
            r.type !== "github" ||
            r.name !== name ||
            r.event !== event ||
            r.action !== action ||
            r.installationId !== installation ||
            r.hasPayload !== true
          )
            failures.push(`${label}: trigger seen as ${JSON.stringify(r)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("processes a redelivery once: the second answer is 200 with x-flows-duplicate: true", async () => {
    const id = crypto.randomUUID();
    const body = JSON.stringify({ action: "opened", issue: { number: 1 }, installation: { id: 42 } });
    const first = await deliver({ event: "issues", id, body });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-flows-duplicate")).toBeNull();
    expect(await first.json()).toMatchObject({ ok: true, flows: ["on-issue-opened", "on-everything"] });
    const second = await deliver({ event: "issues", id, body });
    expect(second.status).toBe(200);
    expect(second.headers.get("x-flows-duplicate")).toBe("true");
    expect(await second.json()).toEqual({ ok: true, duplicate: true, deliveryId: id });
    expect(ran.filter((r) => r.deliveryId === id).map((r) => r.flow)).toEqual([
      "on-issue-opened",
      "on-everything",
    ]);
    expect(ran.find((r) => r.deliveryId === id)?.installationId).toBe(42);
  });

  it("accepts the previous secret during a rotation", async () => {
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const response = await deliver({
      event: "push",
      id: crypto.randomUUID(),
      body,
      signature: await sign(PREVIOUS, body),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ flows: ["on-push", "on-everything"] });
  });

  it("answers 200 to ping without routing it", async () => {
    const id = crypto.randomUUID();
    const response = await deliver({
      event: "ping",
      id,
      body: JSON.stringify({ zen: "Keep it simple.", hook_id: 1 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, event: "ping", deliveryId: id });
    expect(ran.some((r) => r.deliveryId === id)).toBe(false);
  });
});

describe("the built-in webhook flow's rejections", () => {
  const body = JSON.stringify({ action: "opened" });

  it("answers 401 to a wrong signature, and runs nothing", async () => {
    const id = crypto.randomUUID();
    const response = await deliver({
      event: "issues",
      id,
      body,
      signature: await sign("wrong secret", body),
    });
    expect(response.status).toBe(401);
    const error = await errorOf(response);
    expect(error.code).toBe("GITHUB_WEBHOOK_SIGNATURE_INVALID");
    expect(error.message).toBe("webhook delivery has a signature that does not match the body");
    expect(ran.some((r) => r.deliveryId === id)).toBe(false);
  });

  it("answers 401 to a missing signature", async () => {
    const response = await deliver({ event: "issues", id: "d-1", body, signature: null });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toBe("webhook delivery has no X-Hub-Signature-256 header");
  });

  it("answers 401 to malformed signatures, without crashing", async () => {
    for (const signature of [
      "sha256=",
      "sha256=nothex",
      "sha1=0123456789abcdef0123456789abcdef01234567",
      "garbage",
    ]) {
      const response = await deliver({ event: "issues", id: "d-2", body, signature });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).message).toBe(
        "webhook delivery has a malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)",
      );
    }
  });

  it("answers 401 when the body was changed after signing (the raw bytes are verified)", async () => {
    const signature = await sign(SECRET, body);
    const response = await deliver({ event: "issues", id: "d-3", body: `${body} `, signature });
    expect(response.status).toBe(401);
  });

  it("answers 400 listing the missing X-GitHub-Event / X-GitHub-Delivery headers", async () => {
    const both = await deliver({ body });
    expect(both.status).toBe(400);
    const error = await errorOf(both);
    expect(error.code).toBe("GITHUB_WEBHOOK_HEADERS_MISSING");
    expect(error.message).toBe("webhook delivery is missing the headers x-github-event, x-github-delivery");
    expect(error.details).toEqual({ missing: ["x-github-event", "x-github-delivery"] });
    const one = await deliver({ event: "issues", body });
    expect((await errorOf(one)).details).toEqual({ missing: ["x-github-delivery"] });
  });

  it("answers 415 to a delivery that is not JSON", async () => {
    const response = await deliver({
      event: "issues",
      id: "d-4",
      body: "payload=%7B%7D",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 400 to a signed body that is not a JSON object", async () => {
    const response = await deliver({ event: "issues", id: crypto.randomUUID(), body: "[1,2]" });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("BODY_INVALID_JSON");
  });

  it("answers 413 to a delivery over 25 MB, from content-length and while reading", async () => {
    const big = new Uint8Array(25 * 1024 * 1024 + 1).fill(32);
    const response = await deliver({
      event: "push",
      id: "d-5",
      body: big,
      signature: `sha256=${"0".repeat(64)}`,
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("BODY_TOO_LARGE");
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(32);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 30) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const ctx = createExecutionContext();
    const streamed = await worker.fetch(
      new Request(`http://flows.test${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "d-6" },
        body: stream,
      }),
      bindings,
      ctx,
    );
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(30);
  });

  it("answers 500 BINDING_MISSING, saying how to set it, when the secret is not set", async () => {
    const { GITHUB_WEBHOOK_SECRET: _, ...without } = bindings;
    const response = await deliver({ event: "issues", id: "d-7", body }, worker, without);
    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe("BINDING_MISSING");
  });
});

describe("fast acknowledgement through a queue", () => {
  it("answers 202 once the delivery is queued; the consumer runs the routed flow", async () => {
    const sent: unknown[] = [];
    const queue = { send: async (body: unknown) => void sent.push(body), sendBatch: async () => {} };
    const queued = routed("queued-issues", ["issues.opened"], {
      bindings: {
        GITHUB_WEBHOOK_SECRET: { type: "secret" },
        HOOKS: { type: "queue", queue: "github-hooks" },
      },
      triggers: [{ type: "github", events: ["issues.opened"], path: "/hooks", ack: "queue", queue: "HOOKS" }],
    });
    const queueWorker = createWorker([queued], { registry, log: () => {} });
    expect(queueWorker.flows.queues.map((q) => q.trigger.queue)).toEqual(["github-hooks"]);
    const id = crypto.randomUUID();
    const body = JSON.stringify({ action: "opened", issue: { number: 7 } });
    const headers = {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": id,
      "x-hub-signature-256": await sign(SECRET, body),
    };
    const post = () =>
      queueWorker.fetch(
        new Request("http://flows.test/hooks", { method: "POST", headers, body }),
        {
          ...bindings,
          HOOKS: queue,
        },
        createExecutionContext(),
      );
    const response = await post();
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      ok: true,
      event: "issues.opened",
      deliveryId: id,
      queued: true,
    });
    expect(ran.some((r) => r.deliveryId === id)).toBe(false);
    expect(sent).toHaveLength(1);
    // A redelivery is acknowledged, not queued again, and not answered as done: the consumer has not run it yet.
    const again = await post();
    expect(again.status).toBe(202);
    expect(again.headers.get("x-flows-duplicate")).toBe("true");
    expect(await again.json()).toEqual({ ok: true, duplicate: true, deliveryId: id, queued: true });
    expect(sent).toHaveLength(1);

    const batch = createMessageBatch("github-hooks", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: sent[0] },
    ]);
    const ctx = createExecutionContext();
    await queueWorker.queue(batch, bindings, ctx);
    await waitOnExecutionContext(ctx);
    expect(ran.filter((r) => r.deliveryId === id)).toEqual([
      expect.objectContaining({ flow: "queued-issues", name: "issues.opened", type: "github" }),
    ]);
    // The consumer completed the delivery: now a redelivery is answered as done.
    const done = await post();
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ ok: true, duplicate: true, deliveryId: id });
    expect(sent).toHaveLength(1);
  });
});
