import type { FlowDocument } from "../../../flows/ir/types.ts";
import { createWorker } from "../../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../../kernel/index.ts";

/**
 * Soak worker for `bench/soak/long-runs.ts`: `GET /slow?n=N` is an SSE flow whose one node yields a chunk every
 * 100 ms, N times (sleeping on its signal). The worker counts runs started (requests to /slow), runs ended (the
 * host's run line, by status) and ticking nodes still inside their loop; `GET /_soak/active` reports them and
 * `POST /_soak/status` the end status of given run ids, so the driver can check that every run whose client went
 * away was cancelled and that nothing is left running.
 */

let started = 0;
let ended = 0;
let ticking = 0;
const statuses: Record<string, number> = {};
/** End status by run id (the soak's runs only: bounded by its length). */
const byRun = new Map<string, string>();
const MAX_RECORDED = 50_000;

const tick: NodeKind = {
  spec: {
    kind: "soak.tick",
    description: "Yields `{ i }` every 100 ms, `count` times, sleeping on its signal.",
    effect: "pure",
    determinism: "strict",
    inputs: { count: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    (async function* () {
      ticking++;
      try {
        const count = Number(ctx.inputs.count);
        for (let i = 0; i < count; i++) {
          await ctx.sleep(100);
          yield { i };
        }
      } finally {
        ticking--;
      }
    })(),
};

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "soak-slow",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/slow", response: "sse" }],
    defaults: { deadline: "60s" },
    nodes: [
      { id: "tick", kind: "soak.tick", timeout: "60s", inputs: { count: "${{ int(trigger.query.n) }}" } },
    ],
  },
];

const worker = createWorker(flows, {
  registry: createRegistry(BUILTIN_KINDS, tick),
  log: (line) => {
    if (line.message !== "flow run") return;
    ended++;
    const status = String(line.status);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (byRun.size < MAX_RECORDED) byRun.set(String(line.runId), status);
  },
});

export default {
  async fetch(request: Request, env: object, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/_soak/active")
      return Response.json({ started, ended, running: started - ended, ticking, statuses });
    if (path === "/_soak/status") {
      const ids = (await request.json()) as string[];
      return Response.json(Object.fromEntries(ids.map((id) => [id, byRun.get(id) ?? "unknown"])));
    }
    if (path === "/slow") started++;
    return worker.fetch(request, env, ctx);
  },
};
