import { waitUntil } from "cloudflare:workers";
import { DO_KINDS } from "../../capabilities/durable-objects/kinds.ts";
import { QUEUES_KINDS } from "../../capabilities/queues/kinds.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { GITHUB_TRIGGERS } from "../../hosts/workers/github.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { BUILTIN_KINDS } from "../../kernel/kinds/builtins.ts";
import { createRegistry } from "../../kernel/kinds/registry.ts";
import type { CountingRuntime, CountingState, ObjectStats } from "./scale-objects.ts";

/**
 * Bench worker of the scale simulation (`bench/scale.ts`): the flows Workers host with the runtime's real webhook
 * flow, ledger and journals (FlowsRuntime, counting its own calls), serving two GitHub webhook paths:
 * `POST /scale/sync` (`ack: sync`: claim, run, complete) and `POST /scale/queue` (`ack: queue`: claim, enqueue,
 * defer; the consumer runs the flow from its journal and completes). The routed flow counts each delivery in a
 * per-installation object (`tally:<installationId>`, FlowsState), the way a per-installation budget would be
 * keyed. workerd serve has no queue broker, so this worker plays it: a message sent is delivered to the host's
 * `queue()` under the request's `waitUntil`, retried after 200 ms while the host asks for it, at most 5 times.
 * `POST /_scale/stats` (a JSON list of object names) reads what each object counted; `GET /_scale/queue` the
 * broker's counts.
 */

const QUEUE_NAME = "scale-events";
const MAX_ATTEMPTS = 5;

const tally = (id: string, path: string, ack: "sync" | "queue"): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: {
    GITHUB_WEBHOOK_SECRET: { type: "secret" },
    FLOW_STATE: { type: "durableObject", className: "FlowsState" },
    ...(ack === "queue" ? { SCALE_EVENTS: { type: "queue" as const, queue: QUEUE_NAME } } : {}),
  },
  triggers: [
    {
      type: "github",
      path,
      events: ["issues.opened"],
      ...(ack === "queue" ? { ack: "queue" as const, queue: "SCALE_EVENTS" } : {}),
    },
  ],
  nodes: [
    {
      id: "count",
      kind: "do.increment",
      config: { binding: "FLOW_STATE" },
      inputs: {
        object: "${{ 'tally:' + string(int(trigger.installationId)) }}",
        key: "${{ trigger.deliveryId }}",
      },
    },
  ],
  output: "count",
});

const FLOWS: FlowDocument[] = [
  tally("tally-sync", "/scale/sync", "sync"),
  tally("tally-queue", "/scale/queue", "queue"),
];

const worker = createWorker(FLOWS, {
  registry: createRegistry(BUILTIN_KINDS, DO_KINDS, QUEUES_KINDS),
  github: GITHUB_TRIGGERS,
  waitUntil,
  log: () => {},
});

/** What the broker did (one isolate serves every request locally, so module state is shared). */
const broker = { sent: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, inFlight: 0 };

interface Env {
  FLOWS_RUNTIME: DurableObjectNamespace<CountingRuntime>;
  FLOW_STATE: DurableObjectNamespace<CountingState>;
  [name: string]: unknown;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delivers one message to the host's consumer until it is acked or its attempts are spent. */
async function deliver(body: unknown, env: object, ctx: ExecutionContext): Promise<void> {
  const id = crypto.randomUUID().replace(/-/g, "");
  try {
    for (let attempts = 1; attempts <= MAX_ATTEMPTS; attempts++) {
      const state = { outcome: "none" as "ack" | "retry" | "none" };
      const message = {
        id,
        body: structuredClone(body),
        attempts,
        timestamp: new Date(),
        ack: () => {
          state.outcome = "ack";
        },
        retry: () => {
          state.outcome = "retry";
        },
      };
      const batch = {
        queue: QUEUE_NAME,
        messages: [message],
        ackAll: () => message.ack(),
        retryAll: () => message.retry(),
      } as unknown as MessageBatch<unknown>;
      broker.delivered++;
      try {
        await worker.queue(batch, env, ctx);
      } catch {
        state.outcome = "retry";
      }
      if (state.outcome === "ack") {
        broker.acked++;
        return;
      }
      broker.retried++;
      await pause(200);
    }
    broker.deadLettered++;
  } finally {
    broker.inFlight--;
  }
}

/** The env of one request: the real bindings, and the queue producer this worker plays. */
function envOf(env: Env, ctx: ExecutionContext): Env {
  const withQueue: Env = { ...env };
  const send = async (body: unknown) => {
    broker.sent++;
    broker.inFlight++;
    ctx.waitUntil(deliver(body, withQueue, ctx));
  };
  withQueue.SCALE_EVENTS = {
    send,
    sendBatch: async (messages: { body: unknown }[]) => {
      for (const m of messages) await send(m.body);
    },
  };
  return withQueue;
}

/** Each named object's counts: `ledger:<n>` and `journal:<n>` of FlowsRuntime, anything else of FlowsState. */
async function readStats(env: Env, names: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names.slice(i, i + 32).map(async (name) => {
        if (name.startsWith("ledger:") || name.startsWith("journal:")) {
          out[name] = {
            stats: (await env.FLOWS_RUNTIME.getByName(name).benchStats()) as unknown as ObjectStats,
          };
        } else {
          const stub = env.FLOW_STATE.getByName(name);
          out[name] = {
            stats: (await stub.benchStats()) as unknown as ObjectStats,
            tallies: (await stub.tallies()) as unknown as [string, number][],
          };
        }
      }),
    );
  }
  return out;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/_scale/stats" && request.method === "POST")
      return Response.json(await readStats(env, (await request.json()) as string[]));
    if (pathname === "/_scale/queue") return Response.json(broker);
    return worker.fetch(request, envOf(env, ctx), ctx);
  },
};

export { CountingRuntime, CountingState } from "./scale-objects.ts";
