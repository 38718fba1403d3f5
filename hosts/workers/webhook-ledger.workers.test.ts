import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SHARDS,
  ledgerObjectName,
  type RuntimeStub,
  shardOf,
} from "../../capabilities/durable-objects/index.ts";
import { deliveryKey } from "../../capabilities/github/webhook/index.ts";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

// How many FlowsRuntime calls a webhook costs, and which of them the answer waits for: a recording stand-in for
// the FLOWS_RUNTIME namespace in front of the real local Durable Object.

const SECRET = "ledger-test-secret";
type Method = "claim" | "complete" | "record" | "defer" | "release";
const METHODS: readonly Method[] = ["claim", "complete", "record", "defer", "release"];

interface Call {
  method: Method;
  /** Set once the call has settled. */
  settled: boolean;
}

/**
 * The namespace, recording every ledger call; `intercept[method]` replaces a call (it gets the real one to make or
 * not), to hold a write back or to lose it as a crash would.
 */
function recordingNamespace() {
  const calls: Call[] = [];
  /** The object names asked for, in order. */
  const names: string[] = [];
  const intercept: Partial<Record<Method, (forward: () => Promise<unknown>) => Promise<unknown>>> = {};
  const ns = env.FLOWS_RUNTIME;
  const namespace = {
    idFromName: (name: string) => {
      names.push(name);
      return ns.idFromName(name);
    },
    get: (id: DurableObjectId) => {
      const stub = ns.get(id) as unknown as RuntimeStub;
      return Object.fromEntries(
        METHODS.map((method) => [
          method,
          (...args: unknown[]) => {
            const call: Call = { method, settled: false };
            calls.push(call);
            const forward = () => (stub[method] as (...a: unknown[]) => Promise<unknown>)(...args);
            const work = intercept[method] ? intercept[method](forward) : forward();
            return work.finally(() => {
              call.settled = true;
            });
          },
        ]),
      );
    },
  };
  return { calls, names, intercept, namespace, methods: () => calls.map((c) => c.method) };
}

// `pure-label` has no effect (a transform): run before the delivery is recorded. `notify` has one.
const effects: string[] = [];
const notify: NodeKind = {
  spec: {
    kind: "test.notify",
    description: "An effect: records the delivery id it was run for.",
    effect: "external",
    determinism: "nondeterministic",
    inputs: { deliveryId: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) => {
    effects.push(String(ctx.inputs.deliveryId));
    return { out: "sent" };
  },
};
const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "pure-label",
    version: "1.0.0",
    bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
    triggers: [{ type: "github", events: ["issues.opened"] }],
    nodes: [{ id: "label", kind: "transform", inputs: { title: "${{ trigger.payload.issue.title }}" } }],
  },
  {
    flows: 1,
    id: "notify",
    version: "1.0.0",
    bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
    triggers: [{ type: "github", events: ["push"] }],
    nodes: [{ id: "send", kind: "test.notify", inputs: { deliveryId: "${{ trigger.deliveryId }}" } }],
  },
];
const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, notify);
const handed: Promise<unknown>[] = [];
const logged: string[] = [];
const logger = { log: (level: string, message: string) => void logged.push(`${level} ${message}`) };
/** As packaged: the platform's waitUntil (here, one the test awaits). */
const worker = createWorker(flows, {
  registry,
  log: () => {},
  waitUntil: (p) => void handed.push(p),
  runOptions: () => ({ logger }),
});
/** No waitUntil (a host that has none): every ledger write is awaited before the answer. */
const plainWorker = createWorker(flows, { registry, log: () => {}, runOptions: () => ({ logger }) });

async function deliver(
  target: typeof worker,
  namespace: object,
  event: string,
  id: string,
  body: object,
  vars: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  const headers = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-hub-signature-256": await sign(SECRET, text),
  };
  const ctx = createExecutionContext();
  const response = await target.fetch(
    new Request("http://flows.test/api/github/webhooks", { method: "POST", headers, body: text }),
    { ...env, ...vars, GITHUB_WEBHOOK_SECRET: SECRET, FLOWS_RUNTIME: namespace },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return {
    status: response.status,
    duplicate: response.headers.get("x-flows-duplicate"),
    body: await response.json(),
  };
}

const issue = { action: "opened", issue: { number: 1, title: "a bug" } };
const push = { ref: "refs/heads/main" };
const settleHanded = async () => {
  await Promise.all(handed.splice(0));
};

/** Lets the claim of `deliveryId` run out now, as if its 30 s lease had passed. */
async function expireLease(deliveryId: string): Promise<void> {
  const key = deliveryKey(deliveryId);
  const object = env.FLOWS_RUNTIME.get(
    env.FLOWS_RUNTIME.idFromName(`ledger:${shardOf(key, DEFAULT_SHARDS)}`),
  );
  await runInDurableObject(object, (_instance, state) => {
    state.storage.sql.exec("UPDATE ledger SET expires_at = 0 WHERE key = ? AND state = 'pending'", key);
  });
}

describe("Durable Object calls per webhook (sync)", () => {
  it("routed flows all pure: one call (record), the redelivery one more and answered as a duplicate", async () => {
    const recording = recordingNamespace();
    const id = crypto.randomUUID();
    const first = await deliver(worker, recording.namespace, "issues", id, issue);
    expect(first).toMatchObject({
      status: 200,
      duplicate: null,
      body: { flows: ["pure-label"], queued: false },
    });
    expect(recording.methods()).toEqual(["record"]);
    expect(handed).toEqual([]);
    const again = await deliver(worker, recording.namespace, "issues", id, issue);
    expect(again).toEqual({
      status: 200,
      duplicate: "true",
      body: { ok: true, duplicate: true, deliveryId: id },
    });
    expect(recording.methods()).toEqual(["record", "record"]);
    // A delivery no flow takes is recorded the same way.
    await deliver(worker, recording.namespace, "star", crypto.randomUUID(), { action: "created" });
    expect(recording.methods()).toEqual(["record", "record", "record"]);
  });

  it("effectful routed flows: the answer waits for the claim only; complete goes on under waitUntil", async () => {
    const recording = recordingNamespace();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    recording.intercept.complete = async (forward) => {
      await gate;
      return forward();
    };
    const id = crypto.randomUUID();
    const first = await deliver(worker, recording.namespace, "push", id, push);
    expect(first).toMatchObject({ status: 200, body: { flows: ["notify"] } });
    // Answered while the completion was still held back: it is not on the request's path.
    expect(recording.calls.map((c) => [c.method, c.settled])).toEqual([
      ["claim", true],
      ["complete", false],
    ]);
    expect(handed).toHaveLength(1);
    release();
    await settleHanded();
    expect(recording.calls.every((c) => c.settled)).toBe(true);
    const again = await deliver(worker, recording.namespace, "push", id, push);
    expect(again).toMatchObject({ status: 200, duplicate: "true", body: { duplicate: true } });
    expect(recording.methods()).toEqual(["claim", "complete", "claim"]);
    expect(effects.filter((e) => e === id)).toHaveLength(1);
  });

  it("without a host waitUntil, claim and complete are both awaited before the answer", async () => {
    const recording = recordingNamespace();
    const pure = await deliver(plainWorker, recording.namespace, "issues", crypto.randomUUID(), issue);
    expect(pure.status).toBe(200);
    expect(recording.methods()).toEqual(["record"]);
    const effectful = await deliver(plainWorker, recording.namespace, "push", crypto.randomUUID(), push);
    expect(effectful.status).toBe(200);
    expect(recording.calls.map((c) => [c.method, c.settled])).toEqual([
      ["record", true],
      ["claim", true],
      ["complete", true],
    ]);
  });

  it("a crash between the answer and the completion leaves the delivery claimed until its lease runs out", async () => {
    const recording = recordingNamespace();
    // The isolate goes away after answering: the completion never reaches the object.
    recording.intercept.complete = () => Promise.reject(new Error("isolate terminated"));
    const id = crypto.randomUUID();
    expect((await deliver(worker, recording.namespace, "push", id, push)).status).toBe(200);
    await settleHanded();
    expect(effects.filter((e) => e === id)).toHaveLength(1);
    expect(logged).toContain(
      `warn the ledger could not record \`${deliveryKey(id)}\` done after the answer: the claim stays pending until its lease runs out`,
    );
    delete recording.intercept.complete;
    // A redelivery within the lease: held, not run again.
    const held = await deliver(worker, recording.namespace, "push", id, push);
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({ error: { code: "IDEMPOTENCY_PENDING" } });
    expect(effects.filter((e) => e === id)).toHaveLength(1);
    // Once the lease has run out, the delivery is processed again (the effect had run, but was never recorded
    // done: at least once), completed, and a further redelivery is a duplicate.
    await expireLease(id);
    const retried = await deliver(worker, recording.namespace, "push", id, push);
    expect(retried).toMatchObject({ status: 200, duplicate: null, body: { flows: ["notify"] } });
    await settleHanded();
    expect(effects.filter((e) => e === id)).toHaveLength(2);
    const after = await deliver(worker, recording.namespace, "push", id, push);
    expect(after).toMatchObject({ status: 200, duplicate: "true" });
    expect(effects.filter((e) => e === id)).toHaveLength(2);
  });

  it("claims and completes a delivery in the object FLOWS_RUNTIME_SHARDS names, 256 shards by default", async () => {
    const key = (id: string) => deliveryKey(id);
    const byDefault = recordingNamespace();
    const id = crypto.randomUUID();
    await deliver(worker, byDefault.namespace, "push", id, push);
    await settleHanded();
    expect(byDefault.methods()).toEqual(["claim", "complete"]);
    expect(byDefault.names).toEqual([
      `ledger:${shardOf(key(id), DEFAULT_SHARDS)}`,
      `ledger:${shardOf(key(id), DEFAULT_SHARDS)}`,
    ]);
    // A deployment made with 0.2 or earlier keeps its names (FNV-1a % 32), so that its remembered deliveries are found.
    const legacy = recordingNamespace();
    const old = crypto.randomUUID();
    const vars = { FLOWS_RUNTIME_SHARDS: "legacy" };
    await deliver(worker, legacy.namespace, "push", old, push, vars);
    await settleHanded();
    const legacyName = ledgerObjectName(key(old), { count: 32, legacy: true });
    expect(legacy.names).toEqual([legacyName, legacyName]);
    expect(await deliver(worker, legacy.namespace, "push", old, push, vars)).toMatchObject({
      duplicate: "true",
    });
    expect(effects.filter((e) => e === old)).toHaveLength(1);
  });

  it("refuses a shard count it cannot use with one INTERNAL answer, before any effect", async () => {
    const recording = recordingNamespace();
    const id = crypto.randomUUID();
    const answer = await deliver(worker, recording.namespace, "push", id, push, {
      FLOWS_RUNTIME_SHARDS: "lots",
    });
    expect(answer.status).toBe(500);
    expect(recording.calls).toEqual([]);
    expect(effects.filter((e) => e === id)).toHaveLength(0);
  });
});
