import { ALL_CAPABILITY_KINDS } from "../../../../capabilities/index.ts";
import type { FlowDocument } from "../../../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../../../kernel/index.ts";
import { createWorker } from "../../index.ts";

/**
 * The worker of github-queue.workers.test.ts: two flows take `issues.opened` through one `ack: queue` GitHub
 * trigger each (the queue `gh-events`), and one flow records what reaches the dead-letter queue. Failures are
 * injected by the payload: `fail` is how many attempts of `on-issue` fail (retriably) before it succeeds. Every
 * attempt and every completed run is counted in FLOW_KV, keyed by delivery id, so the test can count them.
 */

const bump = async (kv: KVNamespace, key: string): Promise<number> => {
  const n = Number((await kv.get(key)) ?? "0") + 1;
  await kv.put(key, String(n));
  return n;
};

const work: NodeKind = {
  spec: {
    kind: "test.work",
    description:
      "Counts an attempt under `attempts:<flow>:<delivery>`; fails (retriably) the first `fail` ones; counts the run.",
    effect: "external",
    determinism: "nondeterministic",
    inputs: { flow: { required: true }, deliveryId: { required: true }, fail: {} },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const kv = ctx.env.FLOW_KV as KVNamespace;
    const id = `${String(ctx.inputs.flow)}:${String(ctx.inputs.deliveryId)}`;
    const attempt = await bump(kv, `attempts:${id}`);
    if (attempt <= Number(ctx.inputs.fail ?? 0)) {
      throw new Error(`injected outage, attempt ${attempt}`);
    }
    await bump(kv, `ran:${id}`);
    return { out: attempt };
  },
};

const record: NodeKind = {
  spec: {
    kind: "test.deadLetter",
    description: "Stores a dead-lettered delivery's message body under `dead:<delivery id>`.",
    effect: "write",
    determinism: "best_effort",
    inputs: { body: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    const body = ctx.inputs.body as { event?: { deliveryId?: string } };
    await (ctx.env.FLOW_KV as KVNamespace).put(`dead:${body.event?.deliveryId}`, JSON.stringify(body));
    return { out: true };
  },
};

const routed = (id: string, fail: string): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: {
    GITHUB_WEBHOOK_SECRET: { type: "secret" },
    GH_EVENTS: { type: "queue", queue: "gh-events" },
  },
  triggers: [{ type: "github", events: ["issues.opened"], ack: "queue", queue: "GH_EVENTS" }],
  nodes: [
    {
      id: "work",
      kind: "test.work",
      inputs: { flow: id, deliveryId: "${{ trigger.deliveryId }}", fail },
    },
  ],
});

const deadLetters: FlowDocument = {
  flows: 1,
  id: "dead-letters",
  version: "1.0.0",
  triggers: [{ type: "queue", queue: "gh-events-dlq" }],
  nodes: [{ id: "keep", kind: "test.deadLetter", inputs: { body: "${{ trigger.message.body }}" } }],
};

export default createWorker(
  [routed("on-issue", "${{ trigger.payload.fail }}"), routed("on-issue-audit", "0"), deadLetters],
  { registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, work, record), log: () => {} },
);
export { FlowsRuntime } from "../../objects.ts";
