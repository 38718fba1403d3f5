import { waitUntil } from "cloudflare:workers";
import { DO_KINDS } from "../../capabilities/durable-objects/kinds.ts";
import { GITHUB_KINDS } from "../../capabilities/github/kinds.ts";
import { FakeGitHub, jsonResponse } from "../../capabilities/github/testing.ts";
import { QUEUES_KINDS } from "../../capabilities/queues/kinds.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { GITHUB_TRIGGERS } from "../../hosts/workers/github.ts";
import { createWorker } from "../../hosts/workers/worker.ts";
import { isFlowError, type NodeKind } from "../../kernel/index.ts";
import { BUILTIN_KINDS } from "../../kernel/kinds/builtins.ts";
import { createRegistry } from "../../kernel/kinds/registry.ts";
import { SCALE_GITHUB } from "./scale-github.ts";
import type { CountingBudget, CountingRuntime, CountingState, ObjectStats } from "./scale-objects.ts";

/**
 * Bench worker of the scale simulation (`bench/scale.ts`): the flows Workers host with the runtime's real webhook
 * flow, ledger and journals (FlowsRuntime, counting its own calls), serving two GitHub webhook paths:
 * `POST /scale/sync` (`ack: sync`: claim, run, complete) and `POST /scale/queue` (`ack: queue`: claim, enqueue,
 * defer; the consumer runs the flow from its journal and completes). The routed flow makes one GitHub REST call
 * (`GET /repos/{owner}/{repo}` as the App's installation, through the shared budget `GITHUB_BUDGET`, counting
 * its calls) and counts each delivery in a per-installation object (`tally:<installationId>`, FlowsState).
 * GitHub is a stand-in in this worker (`FakeGitHub`, given to every run as its `fetch`: nothing leaves the
 * process) that allows each installation a few calls per window (`SCALE_GITHUB`:
 * windows on the clock's multiples, x-ratelimit-* headers) and refuses past it, as GitHub does. workerd serve has no
 * queue broker, so this worker plays it: a message sent is delivered to the host's `queue()` under the request's
 * `waitUntil`, retried after 200 ms while the host asks for it, at most 5 times. `POST /_scale/stats` (a JSON
 * list of object names) reads what each object counted; `GET /_scale/queue` the broker's counts; `GET
 * /_scale/github` the REST calls.
 */

const QUEUE_NAME = "scale-events";
const MAX_ATTEMPTS = 5;

const github = new FakeGitHub("https://api.github.scale.test").limitRate({
  limit: SCALE_GITHUB.limit,
  windowMs: SCALE_GITHUB.windowSeconds * 1_000,
  aligned: true,
});
github.on("GET /repos/{owner}/{repo}", (_, { repo }) => jsonResponse(200, { name: repo }));
// One token per installation, so the stand-in's limit (kept per credentials) is per installation, as GitHub's.
github.on("POST /app/installations/{id}/access_tokens", (_, { id }) =>
  jsonResponse(201, { token: `ghs_scale_${id}`, expires_at: new Date(Date.now() + 3_600_000).toISOString() }),
);

/** The routed flow's REST calls: made, and refused by the budget (the run goes on: GitHub did not take it). */
const rest = { calls: 0, refusedByBudget: 0 };

/**
 * `github.get` that answers a refusal of the budget (`GITHUB_BUDGET_EXHAUSTED`) as an output instead of failing
 * the run: a busy installation's calls past GitHub's limit are refused by design, and the delivery must still be
 * counted once. Everything else (credentials, the budget, the call) is `github.get`'s own.
 */
const githubGet = GITHUB_KINDS["github.get"]!;
const budgetedGet: NodeKind = {
  spec: {
    ...githubGet.spec,
    kind: "bench.githubGet",
    description: "github.get, with a refusal of the shared budget as output `refused` (its reason).",
    outputs: { ...githubGet.spec.outputs, refused: {} },
  },
  run: async (ctx) => {
    rest.calls++;
    try {
      return { ...(await githubGet.run(ctx)), refused: null };
    } catch (error) {
      if (!isFlowError(error, "GITHUB_BUDGET_EXHAUSTED")) throw error;
      rest.refusedByBudget++;
      return { status: 429, refused: (error.details as { reason?: string }).reason ?? "unknown" };
    }
  },
};

const tally = (id: string, path: string, ack: "sync" | "queue"): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: {
    GITHUB_WEBHOOK_SECRET: { type: "secret" },
    GITHUB_APP_ID: { type: "secret" },
    GITHUB_PRIVATE_KEY: { type: "secret" },
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
      id: "repo",
      kind: "bench.githubGet",
      // Callers that do not wait (maxWait 0): a spent window is refused at once, in the isolate once it is known.
      config: {
        route: "GET /repos/{owner}/{repo}",
        baseUrl: github.base,
        auth: "app",
        etag: false,
        maxWait: "0s",
        budgetReserve: 0,
      },
      inputs: {
        installationId: "${{ trigger.installationId }}",
        params: {
          owner: "${{ trigger.payload.repository.owner.login }}",
          repo: "${{ trigger.payload.repository.name }}",
        },
      },
    },
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
  registry: createRegistry(BUILTIN_KINDS, DO_KINDS, QUEUES_KINDS, budgetedGet),
  github: GITHUB_TRIGGERS,
  waitUntil,
  log: () => {},
  runOptions: () => ({ fetch: github.fetch as typeof fetch }),
});

/** What the broker did (one isolate serves every request locally, so module state is shared). */
const broker = { sent: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, inFlight: 0 };

interface Env {
  FLOWS_RUNTIME: DurableObjectNamespace<CountingRuntime>;
  FLOW_STATE: DurableObjectNamespace<CountingState>;
  GITHUB_BUDGET: DurableObjectNamespace<CountingBudget>;
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

/**
 * Each named object's counts: `ledger:<n>` and `journal:<n>` of FlowsRuntime, `app:<appId>:<installationId>` of
 * the budget, anything else of FlowsState.
 */
async function readStats(env: Env, names: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names.slice(i, i + 32).map(async (name) => {
        if (name.startsWith("ledger:") || name.startsWith("journal:")) {
          out[name] = {
            stats: (await env.FLOWS_RUNTIME.getByName(name).benchStats()) as unknown as ObjectStats,
          };
        } else if (name.startsWith("app:")) {
          out[name] = {
            stats: (await env.GITHUB_BUDGET.getByName(name).benchStats()) as unknown as ObjectStats,
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
    if (pathname === "/_scale/github")
      return Response.json({
        ...rest,
        sent: github.calls.filter((c) => !c.path.endsWith("/access_tokens")).length,
        tokens: github.calls.filter((c) => c.path.endsWith("/access_tokens")).length,
        refusedByGitHub: github.refused.length,
      });
    return worker.fetch(request, envOf(env, ctx), ctx);
  },
};

export { CountingBudget, CountingRuntime, CountingState } from "./scale-objects.ts";
