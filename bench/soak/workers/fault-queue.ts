import { ALL_CAPABILITY_KINDS } from "../../../capabilities/index.ts";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { createWorker } from "../../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind, type RunEvent } from "../../../kernel/index.ts";
import { seededRandom } from "../../../test/random.ts";

/**
 * Soak worker for `bench/soak/faults.ts`. It plays the Queues platform for the flows Workers host: `POST
 * /_soak/faults` delivers messages in batches of 100 to the host's `queue()` handler with an env whose KV, R2,
 * Queue and Durable Object bindings fail or stall on a share of their calls, and redelivers what the host retried
 * (immediately: the host's backoff delay is not waited for) until each message is acked or its retries are spent
 * (then it counts as dead-lettered, as the platform would move it). `GET /_soak/check` then reads back every
 * message's effects. `POST /_soak/resume` kills runs mid-flow (abort at a random moment, worker thrown away) and
 * re-delivers each message to a fresh worker, which resumes from the FlowsRuntime journal.
 */

const QUEUE = "soak-jobs";
const SHARDS = 32;
/** The platform's max_retries: a message is dead-lettered after 1 + MAX_RETRIES deliveries. */
const MAX_RETRIES = 8;
const BATCH = 100;
/** Batches in flight at once (consumer concurrency). */
const CONCURRENT_BATCHES = 2;
/**
 * The least time between two delivery rounds: the host asks for a backoff of 5 s and more, which this driver
 * shortens to just over the ledger's lease (5 s deadline + 1 s grace), so that a stuck claim has run out.
 */
const ROUND_PAUSE_MS = 6_500;

interface Env {
  FLOW_KV: KVNamespace;
  FLOW_BUCKET: R2Bucket;
  FLOWS_RUNTIME: DurableObjectNamespace;
  FLOW_STATE: DurableObjectNamespace;
}

const retry = { attempts: 3, delay: "5ms" };
const notPoison = "${{ trigger.message.body.poison != true }}";
const key = "${{ 'soak/' + trigger.message.body.key }}";

/** One message: its body to KV and R2, a counter per message in FlowsState, and one message sent on. */
const flow: FlowDocument = {
  flows: 1,
  id: "soak-jobs",
  version: "1.0.0",
  bindings: {
    FLOW_KV: { type: "kv" },
    FLOW_BUCKET: { type: "r2", bucket: "soak" },
    FLOW_STATE: { type: "durableObject", className: "FlowsState" },
    SOAK_OUT: { type: "queue", queue: "soak-out" },
    SOAK_DLQ: { type: "queue", queue: "soak-jobs-dlq" },
  },
  triggers: [{ type: "queue", queue: QUEUE, deadLetterQueue: "soak-jobs-dlq", maxRetries: MAX_RETRIES }],
  // A short deadline keeps the ledger's lease short (deadline + 1 s grace): a claim whose answer was lost holds
  // its key only that long, so the soak need not wait the default 26 s before a redelivery can claim it again.
  defaults: { deadline: "5s", timeout: "2s" },
  nodes: [
    {
      id: "refuse",
      kind: "fail",
      when: "${{ trigger.message.body.poison == true }}",
      config: { code: "POISON_MESSAGE", status: 422 },
      inputs: { message: "this job cannot be processed" },
    },
    {
      id: "store",
      kind: "kv.put",
      when: notPoison,
      retry,
      inputs: { key, value: "${{ trigger.message.body }}" },
    },
    {
      id: "archive",
      kind: "r2.put",
      when: notPoison,
      retry,
      inputs: { key, body: "${{ trigger.message.body }}" },
    },
    {
      id: "count",
      kind: "do.increment",
      when: notPoison,
      retry,
      idempotencyKey: "${{ trigger.message.body.key }}",
      inputs: {
        object: "${{ 'soak:' + trigger.message.body.shard }}",
        key: "${{ 'm:' + trigger.message.body.key }}",
      },
    },
    {
      id: "forward",
      kind: "queues.send",
      when: notPoison,
      retry,
      after: ["store", "archive", "count"],
      idempotencyKey: "${{ trigger.message.body.key }}",
      config: { binding: "SOAK_OUT" },
      inputs: { body: "${{ { 'id': trigger.message.body.id } }}" },
    },
  ],
};

type Binding = "kv" | "r2" | "queue" | "do";
interface FaultCounts {
  calls: Record<Binding, number>;
  errorsBefore: Record<Binding, number>;
  errorsAfter: Record<Binding, number>;
  spikes: Record<Binding, number>;
}
const zero = (): Record<Binding, number> => ({ kv: 0, r2: 0, queue: 0, do: 0 });

/**
 * Fault injection: `rate` of calls are faulted, each one way: an error before the call (the service never saw it),
 * an error after it (the answer is lost; not for Queue sends, whose effect cannot be taken back), or a latency
 * spike of 20–100 ms before an answer that then succeeds.
 */
function injector(rate: number, seed: number) {
  const random = seededRandom(seed);
  const counts: FaultCounts = { calls: zero(), errorsBefore: zero(), errorsAfter: zero(), spikes: zero() };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const call = async <T>(binding: Binding, op: string, invoke: () => Promise<T>): Promise<T> => {
    counts.calls[binding]++;
    const roll = random();
    if (roll >= rate) return invoke();
    const kind = Math.floor((roll / rate) * 3);
    if (kind === 2 || (kind === 1 && binding === "queue")) {
      counts.spikes[binding]++;
      await sleep(20 + random() * 80);
      return invoke();
    }
    if (kind === 0) {
      counts.errorsBefore[binding]++;
      await sleep(random() * 5);
      throw new Error(`injected fault: ${binding} ${op} failed (network)`);
    }
    await invoke();
    counts.errorsAfter[binding]++;
    throw new Error(`injected fault: ${binding} ${op} answer lost`);
  };
  /** An object whose methods go through `call` (KV, R2, a queue producer). */
  const wrap = <T extends object>(binding: Binding, target: T, methods: readonly string[]): T => {
    const out: Record<string, unknown> = {};
    for (const m of methods) {
      const fn = (target as Record<string, (...args: unknown[]) => Promise<unknown>>)[m];
      if (typeof fn === "function")
        out[m] = (...args: unknown[]) => call(binding, m, () => fn.apply(target, args));
    }
    return out as T;
  };
  /** A Durable Object namespace whose stubs' RPC calls go through `call`. */
  const namespace = (target: DurableObjectNamespace): DurableObjectNamespace =>
    ({
      idFromName: (name: string) => target.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = target.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        return new Proxy(
          {},
          {
            get: (_, prop) =>
              typeof prop === "string" && prop !== "then"
                ? (...args: unknown[]) => call("do", prop, () => stub[prop]!(...args))
                : undefined,
          },
        );
      },
    }) as unknown as DurableObjectNamespace;
  return { counts, wrap, namespace };
}

/** A queue producer that records what was sent. */
function recorder() {
  const sent: unknown[] = [];
  return {
    sent,
    producer: {
      send: async (body: unknown) => {
        sent.push(body);
      },
      sendBatch: async (messages: { body: unknown }[]) => {
        for (const m of messages) sent.push(m.body);
      },
    },
  };
}

interface Delivery {
  id: string;
  /** `key` and `shard` as strings: JSON numbers are doubles in expressions. */
  body: { id: number; key: string; shard: string; poison?: boolean };
  attempts: number;
}

/** One batch through the host's `queue()`; what the host did with each message. */
async function deliverBatch(
  handler: ReturnType<typeof createWorker>,
  env: object,
  slice: Delivery[],
  queue = QUEUE,
): Promise<Map<string, "ack" | "retry" | "none">> {
  const outcome = new Map<string, "ack" | "retry" | "none">(slice.map((d) => [d.id, "none"]));
  const messages = slice.map((d) => ({
    id: d.id,
    body: d.body,
    attempts: d.attempts,
    timestamp: new Date(),
    ack: () => outcome.set(d.id, "ack"),
    retry: () => outcome.set(d.id, "retry"),
  }));
  const batch = {
    queue,
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: () => {
      for (const m of messages) m.retry();
    },
  } as unknown as MessageBatch<unknown>;
  try {
    await handler.queue(batch, env, { waitUntil: () => {}, passThroughOnException: () => {} } as never);
  } catch {
    // The platform retries every message of a batch whose handler threw and that was not acked.
    for (const [id, o] of outcome) if (o === "none") outcome.set(id, "retry");
  }
  return outcome;
}

const silent = { log: () => {} };

async function faults(
  env: Env,
  from: number,
  count: number,
  rate: number,
  seed: number,
  concurrentBatches: number,
) {
  const started = Date.now();
  const faulty = injector(rate, seed);
  const out = recorder();
  const dlq = recorder();
  const faultyEnv = {
    FLOW_KV: faulty.wrap("kv", env.FLOW_KV, ["get", "put", "delete", "list", "getWithMetadata"]),
    FLOW_BUCKET: faulty.wrap("r2", env.FLOW_BUCKET, [
      "get",
      "put",
      "head",
      "delete",
      "list",
      "createMultipartUpload",
      "resumeMultipartUpload",
    ]),
    FLOW_STATE: faulty.namespace(env.FLOW_STATE),
    FLOWS_RUNTIME: faulty.namespace(env.FLOWS_RUNTIME),
    SOAK_OUT: faulty.wrap("queue", out.producer, ["send", "sendBatch"]),
    // The dead-letter queue is the platform's: not faulted.
    SOAK_DLQ: dlq.producer,
  };
  const failures = new Map<string, number>();
  /** Ledger completions lost after the effect, by node: the key stays claimed until its lease runs out. */
  const completeFailed: Record<string, number> = {};
  const worker = createWorker([flow], {
    registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS),
    log: (line) => {
      if (line.status === "ok") return;
      const what = `${String(line.errorCode)} at ${String(line.nodeId)}: ${String(line.errorMessage).slice(0, 120)}`;
      failures.set(what, (failures.get(what) ?? 0) + 1);
    },
    runOptions: () => ({
      logger: {
        log: (_level: string, message: string, fields?: Readonly<Record<string, unknown>>) => {
          if (message.startsWith("could not complete an idempotency key")) {
            const node = String(fields?.nodeId);
            completeFailed[node] = (completeFailed[node] ?? 0) + 1;
          }
        },
      },
    }),
  });
  const poisonEvery = 100;
  let pending: Delivery[] = Array.from({ length: count }, (_, k) => from + k).map((i) => ({
    id: `soak-${seed}-${i}`,
    body: { id: i, key: String(i), shard: String(i % SHARDS), poison: i % poisonEvery === 37 },
    attempts: 1,
  }));
  const acked = new Set<string>();
  const exhausted = new Set<string>();
  let deliveries = 0;
  let unanswered = 0;
  let rounds = 0;
  let roundStarted = 0;
  while (pending.length > 0 && rounds < MAX_RETRIES + 2) {
    rounds++;
    const wait = roundStarted + ROUND_PAUSE_MS - Date.now();
    if (rounds > 1 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    roundStarted = Date.now();
    const again: Delivery[] = [];
    const slices: Delivery[][] = [];
    for (let i = 0; i < pending.length; i += BATCH) slices.push(pending.slice(i, i + BATCH));
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrentBatches }, async () => {
        while (next < slices.length) {
          const slice = slices[next++]!;
          deliveries += slice.length;
          const outcome = await deliverBatch(worker, faultyEnv, slice);
          for (const d of slice) {
            const o = outcome.get(d.id);
            if (o === "ack") acked.add(d.id);
            else {
              if (o === "none") unanswered++;
              if (d.attempts > MAX_RETRIES) exhausted.add(d.id);
              else again.push({ ...d, attempts: d.attempts + 1 });
            }
          }
        }
      }),
    );
    pending = again;
  }
  // Each message's fate: acked after its effects, acked after the host sent it to the DLQ, or retries spent.
  const dlqIds = new Set(dlq.sent.map((m) => (m as { id: string }).id));
  const processed = [...acked].filter((id) => !dlqIds.has(id));
  const sentCounts = new Map<number, number>();
  for (const m of out.sent) {
    const id = (m as { id: number }).id;
    sentCounts.set(id, (sentCounts.get(id) ?? 0) + 1);
  }
  return {
    messages: count,
    rate,
    seconds: (Date.now() - started) / 1000,
    rounds,
    deliveries,
    processed: processed.length,
    deadLetteredByHost: dlqIds.size,
    deadLetteredAfterRetries: exhausted.size,
    poison: Array.from({ length: count }, (_, k) => from + k).filter((i) => i % poisonEvery === 37).length,
    stillPending: pending.length,
    unanswered,
    lost: count - processed.length - dlqIds.size - exhausted.size,
    processedIds: processed.map((id) => Number(id.slice(id.lastIndexOf("-") + 1))),
    forwardedTwice: [...sentCounts.values()].filter((n) => n > 1).length,
    forwardedMessages: out.sent.length,
    faults: faulty.counts,
    completeFailed,
    failedRuns: Object.fromEntries([...failures].sort((a, b) => b[1] - a[1]).slice(0, 8)),
  };
}

/** Reads back every processed message's effects (with the real, unfaulted bindings). */
async function check(env: Env, ids: number[]) {
  let counterNotOne = 0;
  let missingKv = 0;
  let missingR2 = 0;
  const stub = (shard: number) =>
    env.FLOW_STATE.get(env.FLOW_STATE.idFromName(`soak:${shard}`)) as unknown as {
      get(key: string): Promise<unknown>;
    };
  for (let i = 0; i < ids.length; i += 200) {
    await Promise.all(
      ids.slice(i, i + 200).map(async (id) => {
        if ((await stub(id % SHARDS).get(`m:${id}`)) !== 1) counterNotOne++;
        if ((await env.FLOW_KV.get(`soak/${id}`)) === null) missingKv++;
        if ((await env.FLOW_BUCKET.head(`soak/${id}`)) === null) missingR2++;
      }),
    );
  }
  return { checked: ids.length, counterNotOne, missingKv, missingR2 };
}

// Resume after a kill: a flow of three effects with a slow step between the second and the third.
const slow: NodeKind = {
  spec: {
    kind: "soak.pause",
    description: "Waits input `ms` milliseconds (on its signal).",
    effect: "pure",
    determinism: "strict",
    inputs: { ms: {} },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: async (ctx) => {
    await ctx.sleep(Number(ctx.inputs.ms ?? 0));
    return { out: true };
  },
};

const resumeFlow = (queue: string): FlowDocument => {
  const bump = (id: string, after: string[]) => ({
    id,
    kind: "do.increment",
    after,
    // The journal resumes the run; the operation key covers a kill while the call is in flight.
    idempotencyKey: "${{ trigger.message.body.key }}",
    inputs: {
      object: "${{ 'resume:' + trigger.message.body.shard }}",
      key: `\${{ '${id}:' + trigger.message.body.key }}`,
    },
  });
  return {
    flows: 1,
    id: "soak-resume",
    version: "1.0.0",
    bindings: { FLOW_STATE: { type: "durableObject", className: "FlowsState" } },
    triggers: [{ type: "queue", queue }],
    nodes: [
      bump("a", []),
      { id: "p1", kind: "soak.pause", after: ["a"], inputs: { ms: 15 } },
      bump("b", ["p1"]),
      { id: "p2", kind: "soak.pause", after: ["b"], inputs: { ms: 15 } },
      bump("c", ["p2"]),
    ],
  };
};

async function resume(env: Env, count: number, seed: number) {
  const random = seededRandom(seed);
  const queue = `soak-resume-${seed}`;
  let killed = 0;
  let finishedBeforeKill = 0;
  let replayedSteps = 0;
  let resumedOk = 0;
  let lastFailure = "";
  for (let i = 0; i < count; i++) {
    // A fresh worker per delivery: nothing of the first isolate survives but the FlowsRuntime journal.
    const controller = new AbortController();
    const first = createWorker([resumeFlow(queue)], {
      registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, slow),
      log: () => {},
      runOptions: () => ({ logger: silent, signal: controller.signal }),
    });
    const killAt = random() * 60;
    const timer = setTimeout(() => controller.abort(new Error("isolate killed")), killAt);
    const delivery: Delivery = {
      id: `${queue}-${i}`,
      body: { id: i, key: String(i), shard: String(i % 8) },
      attempts: 1,
    };
    const o1 = await deliverBatch(first, env, [delivery], queue);
    clearTimeout(timer);
    if (o1.get(delivery.id) === "ack") finishedBeforeKill++;
    else killed++;
    const events: RunEvent[] = [];
    const second = createWorker([resumeFlow(queue)], {
      registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, slow),
      log: (line) => {
        if (line.status !== "ok")
          lastFailure = `${String(line.errorCode ?? line.message)}: ${String(line.errorMessage)}`;
      },
      runOptions: () => ({ logger: silent, onEvent: (e) => events.push(e) }),
    });
    const o2 = await deliverBatch(second, env, [{ ...delivery, attempts: 2 }], queue);
    if (o2.get(delivery.id) === "ack") resumedOk++;
    replayedSteps += events.filter((e) => e.type === "node.output" && "replayed" in e && e.replayed).length;
  }
  // Every effect exactly once per message.
  let notOnce = 0;
  for (let i = 0; i < count; i++) {
    const stub = env.FLOW_STATE.get(env.FLOW_STATE.idFromName(`resume:${i % 8}`)) as unknown as {
      get(key: string): Promise<unknown>;
    };
    for (const step of ["a", "b", "c"]) if ((await stub.get(`${step}:${i}`)) !== 1) notOnce++;
  }
  return {
    runs: count,
    killed,
    finishedBeforeKill,
    resumedOk,
    replayedSteps,
    effectsNotOnce: notOnce,
    lastFailure,
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const n = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    if (url.pathname === "/_soak/faults")
      return Response.json(
        await faults(
          env,
          n("from", 0),
          n("count", 1000),
          n("rate", 0.1),
          n("seed", 1),
          n("batches", CONCURRENT_BATCHES),
        ),
      );
    if (url.pathname === "/_soak/check")
      return Response.json(await check(env, (await request.json()) as number[]));
    if (url.pathname === "/_soak/resume")
      return Response.json(await resume(env, n("count", 100), n("seed", 1)));
    return new Response("not found", { status: 404 });
  },
};
export { FlowsRuntime, FlowsState } from "../../../hosts/workers/objects.ts";
