import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { type LoadResult, type LoadSpec, loadFromProcess } from "./load-process.ts";
import { type NodeServer, startNodeServer } from "./peers/load.ts";
import { benchStartup, issuesOpened, type StartupFigures, startupRatios, startupRows } from "./startup.ts";
import { fixed, type Spread, spread } from "./stats.ts";
import {
  bundleWorkers,
  durableObjectDir,
  pin,
  ROOT,
  serveWithWorkerd,
  type WorkerdServer,
} from "./workerd.ts";

/**
 * What the worker itself costs (issue 15's table): each bench worker served by `workerd serve` from a generated
 * capnp config (no Miniflare entry worker, no wrangler proxy), pinned to CPU 0; load from autocannon in a
 * separate Node process pinned to CPU 1 (`load-process.ts`), 20 connections for `BENCH_SECONDS` per run, only to
 * 127.0.0.1, every answer checked; the server's CPU (utime + stime of workerd's own pid, or of the Node server,
 * from /proc) over the load ÷ answers. Each scenario runs beside its baseline in the same run, `BENCH_REPS`
 * (at least 3) repetitions interleaved (the order rotated each repetition), medians and spread (min–max).
 *
 * Scenarios: the GitHub webhook (`flows-github` vs hand-written `hono-github`, the `issues.opened` payload of
 * `@octokit/webhooks-examples`, a fresh `X-GitHub-Delivery` per request) with the in-memory ledger and with the
 * FlowsRuntime Durable Object ledger (SQLite); a 1-node and a 5-node HTTP flow (`flows-chain` vs `hono-chain`);
 * the webhook on the Node host (`@hono/node-server`, in-memory ledger) vs Probot 14 (and the hand-written app on
 * Node); module start-up of the two webhook bundles (`startup.ts`: the import in Node, and import + the first
 * webhook, so that work moved from one to the other shows; workerd's spawn to the first webhook answered). And an
 * A/A: the flows webhook bundle against itself on a second workerd, interleaved like the others, whose ratios are
 * what this machine's noise does to one ratio: a goal nearer its threshold than that is not settled by one run.
 */

const SECRET = "bench-webhook-secret";
const WEBHOOK_PATH = "api/github/webhooks";
const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 5));
const REPS = Math.max(3, Number(process.env.BENCH_REPS ?? 3));
const CONNECTIONS = 20;
/** Servers on this CPU, the load process on the other. */
const SERVER_CPU = "0";
const LOAD_CPU = "1";

type ScenarioId = "webhookMemory" | "webhookDurable" | "chain1" | "chain5" | "nodeHost" | "sameBundle";

interface Side {
  label: string;
  server: { url: string; pid: number };
  spec: Omit<LoadSpec, "url" | "serverPid" | "connections" | "seconds"> & { path: string };
  /** Checks done around each run (Probot: its handler count). */
  around?: (run: () => Promise<LoadResult>) => Promise<LoadResult>;
}

interface Scenario {
  id: ScenarioId;
  title: string;
  unit: "webhook" | "request";
  sides: Side[];
}

export interface SideFigures {
  label: string;
  perSecond: Spread;
  cpuMsPerRequest: Spread;
  latencyMs: Spread;
  requests: number[];
}

export interface ScenarioFigures {
  title: string;
  unit: string;
  /** The first is flows, the second its baseline, then any others for context. */
  sides: SideFigures[];
  /**
   * flows ÷ baseline. `perSecond` and `cpu` (what the goals compare) are the medians of the per-repetition
   * ratios, each of two runs made one after the other; `…ByRep` their spread; `ofMedians` the ratio of the sides'
   * medians, which one lucky or unlucky run on this shared machine can move further.
   */
  ratio: {
    perSecond: number;
    cpu: number;
    perSecondByRep: Spread;
    cpuByRep: Spread;
    ofMedians: { perSecond: number; cpu: number };
  };
}

export interface Goal {
  name: string;
  goal: string;
  value: number;
  met: boolean;
  /** What else the line must show to be read right. */
  note?: string;
}

export interface WorkerCostResult {
  date: string;
  seconds: number;
  connections: number;
  repetitions: number;
  pinned: boolean;
  durableObjectStorage: string;
  loadAverage: { before: number[]; after: number[] };
  scenarios: Record<ScenarioId, ScenarioFigures>;
  startup: StartupFigures[];
  goals: Goal[];
}

const ratioOf = (a: number, b: number): number => a / b;

/** A side's timed load against its server. */
function runSide(side: Side, seconds: number): Promise<LoadResult> {
  const run = () =>
    loadFromProcess(
      {
        ...side.spec,
        url: `${side.server.url}${side.spec.path}`,
        serverPid: side.server.pid,
        connections: CONNECTIONS,
        seconds,
      },
      LOAD_CPU,
    );
  return side.around ? side.around(run) : run();
}

/** Checks a webhook server before the timed runs: routed, a redelivery marked duplicate, a bad signature refused. */
async function checkWebhook(label: string, base: string, body: string, headers: Record<string, string>) {
  const deliver = (id: string, signature = headers["x-hub-signature-256"]!) =>
    fetch(`${base}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { ...headers, "x-github-delivery": id, "x-hub-signature-256": signature },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  const id = crypto.randomUUID();
  const first = await deliver(id);
  const text = await first.text();
  const again = await deliver(id);
  await again.arrayBuffer();
  const bad = await deliver(crypto.randomUUID(), `sha256=${"0".repeat(64)}`);
  await bad.arrayBuffer();
  const problems = [
    first.status === 200 && text.includes('"label-issue"')
      ? ""
      : `first ${first.status} ${text.slice(0, 200)}`,
    again.status === 200 && again.headers.get("x-flows-duplicate") === "true"
      ? ""
      : "redelivery not a duplicate",
    bad.status === 401 ? "" : `bad signature answered ${bad.status}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`${label} is wrong: ${problems.join("; ")}`);
}

/** A markdown table row. */
const tableRow = (cells: string[]): string => `| ${cells.join(" | ")} |`;
const thousands = (x: number, digits = 0): string =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";
const spreadCell = (s: Spread, digits = 0): string =>
  `${thousands(s.median, digits)} (${thousands(s.min, digits)}–${thousands(s.max, digits)})`;
const ratioCell = (median: number, byRep: Spread): string =>
  `${fixed(median, 2)} (${fixed(byRep.min, 2)}–${fixed(byRep.max, 2)})`;

/**
 * Runs every scenario, prints the table with met/MISSED per goal, writes bench/results/worker-cost.json.
 * About (scenario runs × BENCH_SECONDS) + start-up: about 5 minutes with the defaults.
 * @example await benchWorkerCost() // npm run bench, or node bench/worker-cost.ts (BENCH_SECONDS=3 for a short run)
 */
export async function benchWorkerCost(
  print: (line: string) => void = console.log,
): Promise<WorkerCostResult> {
  const stamp = `${process.pid}-${Date.now()}`;
  const outdir = join(ROOT, ".tmp", "bench", `worker-cost-${stamp}`);
  const objects = durableObjectDir("worker-cost");
  mkdirSync(outdir, { recursive: true });
  const workerd: WorkerdServer[] = [];
  const nodeServers: NodeServer[] = [];
  let pinnedSelf = false;
  let nodePinned = true;
  try {
    const names = ["flows-github", "hono-github", "flows-chain", "hono-chain", "empty"];
    const bundles = await bundleWorkers(names, outdir);
    const serve = async (name: string, withLedger: boolean): Promise<WorkerdServer> => {
      const server = await serveWithWorkerd({
        bundle: bundles[name]!,
        dir: join(objects, name),
        ...(withLedger
          ? { text: { GITHUB_WEBHOOK_SECRET: SECRET }, durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" } }
          : {}),
        cpus: SERVER_CPU,
      });
      workerd.push(server);
      return server;
    };
    const flowsGithub = await serve("flows-github", true);
    const honoGithub = await serve("hono-github", true);
    // The A/A's second side: the same bundle in a workerd of its own (its own Durable Object folder).
    const flowsGithubAgain = await serveWithWorkerd({
      bundle: bundles["flows-github"]!,
      dir: join(objects, "flows-github-again"),
      text: { GITHUB_WEBHOOK_SECRET: SECRET },
      durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" },
      cpus: SERVER_CPU,
    });
    workerd.push(flowsGithubAgain);
    const flowsChain = await serve("flows-chain", false);
    const honoChain = await serve("hono-chain", false);
    // The same bundle with the run store bound, as every packaged Worker has it: its runs succeed, and a flow
    // records its failed runs only by default, so recording must cost these nothing measurable.
    const flowsChainRuns = await serveWithWorkerd({
      bundle: bundles["flows-chain"]!,
      dir: join(objects, "flows-chain-runs"),
      durableObjects: { FLOWS_RUNS: "FlowsRuns" },
      cpus: SERVER_CPU,
    });
    workerd.push(flowsChainRuns);
    const startNode = async (script: string, env: Record<string, string>): Promise<NodeServer> => {
      const server = await startNodeServer(join(import.meta.dirname, "peers", script), {
        BENCH_WEBHOOK_SECRET: SECRET,
        ...env,
      });
      nodeServers.push(server);
      nodePinned = pin(server.pid, SERVER_CPU) && nodePinned;
      return server;
    };
    const flowsNode = await startNode("node-host-server.ts", { BENCH_NODE_TARGET: "flows" });
    const honoNode = await startNode("node-host-server.ts", { BENCH_NODE_TARGET: "hono" });
    const probot = await startNode("probot-server.ts", {});
    pinnedSelf = pin(process.pid, LOAD_CPU);
    const pinned = workerd.every((s) => s.pinned) && nodePinned && pinnedSelf;

    const body = issuesOpened();
    const webhookHeaders = {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-hub-signature-256": await sign(SECRET, body),
    };
    const memory = { ...webhookHeaders, "x-bench-ledger": "memory" };
    for (const [label, server, headers] of [
      ["flows, in-memory ledger", flowsGithub, memory],
      ["flows on a second workerd, in-memory ledger", flowsGithubAgain, memory],
      ["hand-written, in-memory ledger", honoGithub, memory],
      ["flows, Durable Object ledger", flowsGithub, webhookHeaders],
      ["hand-written, Durable Object ledger", honoGithub, webhookHeaders],
      ["flows on the Node host", flowsNode, webhookHeaders],
      ["hand-written on Node", honoNode, webhookHeaders],
    ] as const)
      await checkWebhook(label, server.url, body, headers);
    const refused = await fetch(`${probot.url}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: {
        ...webhookHeaders,
        "x-github-delivery": "x",
        "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
      },
      body,
    });
    await refused.arrayBuffer();
    if (refused.status < 400) throw new Error(`Probot accepted a bad signature (${refused.status})`);

    const webhook = (
      label: string,
      server: { url: string; pid: number },
      headers: Record<string, string>,
      includes = '"label-issue"',
    ): Side => ({
      label,
      server,
      spec: {
        path: WEBHOOK_PATH,
        method: "POST",
        headers,
        body,
        freshHeader: "x-github-delivery",
        expect: { status: 200, includes },
      },
    });
    const chain = (label: string, server: WorkerdServer, steps: number): Side => ({
      label,
      server,
      spec: {
        path: `chain${steps}`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ n: 40 }),
        expect: { status: 200, json: { n: 40 + steps } },
      },
    });
    const handled = async (): Promise<number> => {
      const response = await fetch(`${probot.url}handled`, { signal: AbortSignal.timeout(10_000) });
      return ((await response.json()) as { handled: number }).handled;
    };
    const probotSide: Side = {
      ...webhook("Probot 14 on Node", probot, webhookHeaders, "ok"),
      // Probot answers `ok` after its handlers ran; its handler count must grow by the answers (plus at most
      // the requests still in flight when the load stopped).
      around: async (run) => {
        const before = await handled();
        const result = await run();
        const grew = (await handled()) - before;
        if (grew < result.requests || grew > result.requests + CONNECTIONS)
          throw new Error(`Probot answered ${result.requests} deliveries but handled ${grew}`);
        return result;
      },
    };

    const scenarios: Scenario[] = [
      {
        id: "webhookMemory",
        title: "webhook, in-memory ledger",
        unit: "webhook",
        sides: [webhook("flows", flowsGithub, memory), webhook("hand-written Hono", honoGithub, memory)],
      },
      {
        id: "webhookDurable",
        title: "webhook, Durable Object ledger",
        unit: "webhook",
        sides: [
          webhook("flows", flowsGithub, webhookHeaders),
          webhook("hand-written Hono", honoGithub, webhookHeaders),
        ],
      },
      {
        id: "chain1",
        title: "1-node HTTP flow",
        unit: "request",
        sides: [
          chain("flows", flowsChain, 1),
          chain("hand-written Hono", honoChain, 1),
          chain("flows with the run store bound (records failed runs only)", flowsChainRuns, 1),
        ],
      },
      {
        id: "chain5",
        title: "5-node HTTP flow",
        unit: "request",
        sides: [chain("flows", flowsChain, 5), chain("hand-written Hono", honoChain, 5)],
      },
      {
        id: "nodeHost",
        title: "webhook on Node, in-memory ledger",
        unit: "webhook",
        sides: [
          webhook("flows Node host", flowsNode, webhookHeaders),
          probotSide,
          webhook("hand-written Hono on Node", honoNode, webhookHeaders),
        ],
      },
      {
        id: "sameBundle",
        title: "A/A: the flows webhook, in-memory ledger",
        unit: "webhook",
        sides: [
          webhook("flows", flowsGithub, memory),
          webhook("the same bundle on a second workerd", flowsGithubAgain, memory),
        ],
      },
    ];

    const loadBefore = loadavg();
    // Warm-up: every side once, not counted.
    for (const scenario of scenarios)
      for (const side of scenario.sides) await runSide(side, Math.min(2, SECONDS));
    const runs = new Map<Side, LoadResult[]>(scenarios.flatMap((s) => s.sides.map((side) => [side, []])));
    for (let rep = 0; rep < REPS; rep++)
      for (const scenario of scenarios) {
        const k = rep % scenario.sides.length;
        for (const side of [...scenario.sides.slice(k), ...scenario.sides.slice(0, k)])
          runs.get(side)!.push(await runSide(side, SECONDS));
      }

    // Start-up: the webhook bundles, interleaved; the empty Worker shows workerd's own start.
    const startup = await benchStartup(join(outdir, "startup"), SERVER_CPU);
    const loadAfter = loadavg();

    const figures = Object.fromEntries(
      scenarios.map((scenario) => {
        const sides = scenario.sides.map((side): SideFigures => {
          const r = runs.get(side)!;
          return {
            label: side.label,
            perSecond: spread(r.map((x) => x.perSecond)),
            cpuMsPerRequest: spread(r.map((x) => x.cpuMsPerRequest)),
            latencyMs: spread(r.map((x) => x.latencyMs)),
            requests: r.map((x) => x.requests),
          };
        });
        const [flows, base] = [runs.get(scenario.sides[0]!)!, runs.get(scenario.sides[1]!)!];
        const perSecondByRep = spread(flows.map((x, i) => ratioOf(x.perSecond, base[i]!.perSecond)));
        const cpuByRep = spread(flows.map((x, i) => ratioOf(x.cpuMsPerRequest, base[i]!.cpuMsPerRequest)));
        const ratio = {
          perSecond: perSecondByRep.median,
          cpu: cpuByRep.median,
          perSecondByRep,
          cpuByRep,
          ofMedians: {
            perSecond: ratioOf(sides[0]!.perSecond.median, sides[1]!.perSecond.median),
            cpu: ratioOf(sides[0]!.cpuMsPerRequest.median, sides[1]!.cpuMsPerRequest.median),
          },
        };
        return [scenario.id, { title: scenario.title, unit: scenario.unit, sides, ratio }];
      }),
    ) as Record<ScenarioId, ScenarioFigures>;
    const startupRatio = startupRatios(startup);

    const goals: Goal[] = [
      ...(["webhookMemory", "webhookDurable"] as const).flatMap((id) => [
        {
          name: `${figures[id].title}: webhooks/s, flows ÷ hand-written`,
          goal: "≥ 0.95",
          value: figures[id].ratio.perSecond,
          met: figures[id].ratio.perSecond >= 0.95,
        },
        {
          name: `${figures[id].title}: CPU per webhook, flows ÷ hand-written`,
          goal: "≤ 1.1",
          value: figures[id].ratio.cpu,
          met: figures[id].ratio.cpu <= 1.1,
        },
      ]),
      {
        name: "1-node HTTP flow: requests/s, flows ÷ hand-written",
        goal: "≥ 0.95",
        value: figures.chain1.ratio.perSecond,
        met: figures.chain1.ratio.perSecond >= 0.95,
      },
      {
        name: "webhook on the Node host: webhooks/s, flows ÷ Probot 14",
        goal: "≥ 1.0",
        value: figures.nodeHost.ratio.perSecond,
        met: figures.nodeHost.ratio.perSecond >= 1,
      },
      {
        name: "start-up (import of the webhook bundle in Node), flows ÷ hand-written",
        goal: "≤ 1.5",
        value: startupRatio.importOnly,
        met: startupRatio.importOnly <= 1.5,
        note: `import + the first webhook: ${fixed(startupRatio.withFirst, 2)}`,
      },
    ];

    const result: WorkerCostResult = {
      date: new Date().toISOString(),
      seconds: SECONDS,
      connections: CONNECTIONS,
      repetitions: REPS,
      pinned,
      durableObjectStorage: dirname(objects),
      loadAverage: { before: loadBefore, after: loadAfter },
      scenarios: figures,
      startup,
      goals,
    };

    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    print(
      `What the worker costs: workerd serve (generated capnp config, no Miniflare), autocannon ${CONNECTIONS} connections × ${SECONDS} s per run from a separate process, ${REPS} runs interleaved after a warm-up; median (min–max); ${pinned ? `servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : "not pinned"}; Durable Objects' SQLite under ${dirname(objects)}; load average ${load(loadBefore)} → ${load(loadAfter)}`,
    );
    print("");
    print(tableRow(["", "flows", "baseline", "ratio: median of the per-run ratios (range)"]));
    print(tableRow(["---", "---", "---", "---"]));
    for (const id of [
      "webhookMemory",
      "webhookDurable",
      "chain1",
      "chain5",
      "nodeHost",
      "sameBundle",
    ] as const) {
      const x = figures[id];
      const [flows, base] = [x.sides[0]!, x.sides[1]!];
      const unit = x.unit;
      print(
        tableRow([
          `${x.title}: ${unit}s/s (vs ${base.label})`,
          spreadCell(flows.perSecond),
          spreadCell(base.perSecond),
          ratioCell(x.ratio.perSecond, x.ratio.perSecondByRep),
        ]),
      );
      print(
        tableRow([
          `${x.title}: server CPU per ${unit}, µs`,
          spreadCell(scale(flows.cpuMsPerRequest)),
          spreadCell(scale(base.cpuMsPerRequest)),
          ratioCell(x.ratio.cpu, x.ratio.cpuByRep),
        ]),
      );
      for (const other of x.sides.slice(2))
        print(
          tableRow([
            `${x.title}: ${other.label}, ${unit}s/s; CPU per ${unit}, µs`,
            "",
            `${spreadCell(other.perSecond)}; ${spreadCell(scale(other.cpuMsPerRequest))}`,
            "",
          ]),
        );
    }
    for (const row of startupRows(startup)) print(tableRow(row));
    print("");
    for (const g of goals)
      print(
        `${g.met ? "met   " : "MISSED"}  ${g.name}: ${fixed(g.value, 2)} (goal ${g.goal})${g.note ? `; ${g.note}` : ""}`,
      );
    const same = figures.sameBundle.ratio;
    print(
      `noise   the same bundle against itself (A/A): ${fixed(same.perSecond, 2)} webhooks/s (${fixed(same.perSecondByRep.min, 2)}–${fixed(same.perSecondByRep.max, 2)}), ${fixed(same.cpu, 2)} CPU (${fixed(same.cpuByRep.min, 2)}–${fixed(same.cpuByRep.max, 2)}): a ratio within that of its goal is not settled by this run`,
    );
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "worker-cost.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    if (pinnedSelf) pin(process.pid, "0-1");
    for (const server of nodeServers) await server.stop();
    for (const server of workerd) await server.stop();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(objects, { recursive: true, force: true });
  }
}

/** ms → µs. */
function scale(s: Spread): Spread {
  return {
    median: s.median * 1_000,
    min: s.min * 1_000,
    max: s.max * 1_000,
    samples: s.samples.map((x) => x * 1_000),
  };
}

if (import.meta.main) await benchWorkerCost();
