import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { type LoadSpec, loadFromProcess } from "./load-process.ts";
import { issuesOpened } from "./startup.ts";
import { bundleWorkers, durableObjectDir, ROOT, serveWithWorkerd } from "./workerd.ts";

/**
 * Where a worker's CPU goes on `workerd serve`: serves one bench worker with the V8 inspector on, loads it from a
 * pinned process (as `worker-cost` does), records a CPU profile over the load, and prints self time per request
 * by source file (from esbuild's `// path` markers in the unminified bundle) and by function, plus the
 * inclusive time of the functions that take most. Figures are under the profiler (sampling inflates them): read
 * them as shares, and compare targets only within one run.
 *
 *   node bench/profile.ts chain1|chain5|webhook-memory|webhook-do [flows|hono] [seconds]
 */

const SECRET = "bench-webhook-secret";
const INSPECTOR_PORT = 39_229;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One DevTools-protocol session over the inspector's WebSocket. */
async function inspect(port: number): Promise<(method: string, params?: object) => Promise<unknown>> {
  let target = `ws://127.0.0.1:${port}/main`;
  try {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl?: string;
    }[];
    target = list.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl ?? target;
  } catch {
    // Older workerd: no listing; the service name is the path.
  }
  const socket = new WebSocket(target);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error(`could not open the inspector at ${target}`)), {
      once: true,
    });
  });
  let next = 1;
  const waiting = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (message) => {
        waiting.delete(id);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
}

/** Source file of each bundle line, from esbuild's `// path/to/file.ts` comments. */
function sourceLines(bundle: string): string[] {
  const lines = readFileSync(bundle, "utf8").split("\n");
  const files: string[] = [];
  let current = "(bundle)";
  for (const line of lines) {
    const marker = /^\/\/ ((?:\.\.\/)*[\w@./-]+\.(?:[cm]?[jt]s))$/.exec(line);
    if (marker) current = marker[1]!.replace(/^(\.\.\/)+/, "");
    files.push(current);
  }
  return files;
}

interface Attributed {
  selfByFunction: Map<string, number>;
  selfByFile: Map<string, number>;
  inclusive: Map<string, number>;
  totalUs: number;
}

function attribute(profile: Profile, lines: string[]): Attributed {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++)
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const label = (f: CallFrame): string => {
    const file = f.url ? (lines[f.lineNumber] ?? "(bundle)") : "(native)";
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === "(idle)" || name === "(root)") continue;
    totalUs += us;
    const key = label(node.callFrame);
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
    const file = node.callFrame.url
      ? (lines[node.callFrame.lineNumber] ?? "(bundle)")
      : name.startsWith("(")
        ? name
        : "(native)";
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + us);
    // Inclusive: each distinct frame on the stack once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = label(byId.get(at)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  return { selfByFunction, selfByFile, inclusive, totalUs };
}

const top = (map: Map<string, number>, n: number, requests: number): string[] =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${(us / requests).toFixed(2).padStart(8)} µs  ${k}`);

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/**
 * `PROFILE_ALLOCATIONS=1`: bytes allocated per answer by source file and by function, from V8's sampling heap
 * profiler with the objects that young and old collections freed kept in (what a request allocates, not what lives).
 */
async function allocations(
  send: (method: string, params?: object) => Promise<unknown>,
  load: () => Promise<{ requests: number }>,
  bundle: string,
): Promise<void> {
  await send("HeapProfiler.enable");
  await send("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const { requests } = await load();
  const { profile } = (await send("HeapProfiler.stopSampling")) as { profile: { head: HeapNode } };
  const lines = sourceLines(bundle);
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    const f = node.callFrame;
    const file = f.url ? (lines[f.lineNumber] ?? "(bundle)") : "(native)";
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    total += node.selfSize;
    byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize);
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const rows = (map: Map<string, number>, n: number): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, bytes]) => `${(bytes / requests).toFixed(0).padStart(8)} B  ${k}`);
  console.log(`${requests} answers; ${(total / requests).toFixed(0)} bytes allocated per answer (sampled)`);
  console.log("\nby source file:");
  for (const line of rows(byFile, 20)) console.log(line);
  console.log("\nby function:");
  for (const line of rows(byFunction, 40)) console.log(line);
}

async function main(): Promise<void> {
  const [scenario = "chain1", target = "flows", secondsText = "5"] = process.argv.slice(2);
  const seconds = Number(secondsText);
  const webhook = scenario.startsWith("webhook");
  const name = webhook ? `${target}-github` : `${target}-chain`;
  const outdir = join(ROOT, ".tmp", "bench", `profile-${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  const server = await serveWithWorkerd({
    bundle: (await bundleWorkers([name], outdir))[name]!,
    dir: join(durableObjectDir("profile"), name),
    ...(webhook
      ? { text: { GITHUB_WEBHOOK_SECRET: SECRET }, durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" } }
      : {}),
    cpus: "0",
    inspectorPort: INSPECTOR_PORT,
  });
  try {
    const body = webhook ? issuesOpened() : JSON.stringify({ n: 40 });
    const steps = scenario === "chain5" ? 5 : 1;
    const spec: LoadSpec = webhook
      ? {
          url: `${server.url}api/github/webhooks`,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-hub-signature-256": await sign(SECRET, body),
            ...(scenario === "webhook-memory" ? { "x-bench-ledger": "memory" } : {}),
          },
          body,
          freshHeader: "x-github-delivery",
          connections: 20,
          seconds: 1,
          serverPid: server.pid,
          expect: { status: 200, includes: '"label-issue"' },
        }
      : {
          url: `${server.url}chain${steps}`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          connections: 20,
          seconds: 1,
          serverPid: server.pid,
          expect: { status: 200, json: { n: 40 + steps } },
        };
    await loadFromProcess(spec, "1"); // warm-up, not profiled
    const send = await inspect(INSPECTOR_PORT);
    if (process.env.PROFILE_ALLOCATIONS) {
      await allocations(send, () => loadFromProcess({ ...spec, seconds }, "1"), join(outdir, `${name}.mjs`));
      return;
    }
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 50 });
    await send("Profiler.start");
    const load = await loadFromProcess({ ...spec, seconds }, "1");
    const { profile } = (await send("Profiler.stop")) as { profile: Profile };
    writeFileSync(join(ROOT, ".tmp", `profile-${scenario}-${target}.cpuprofile`), JSON.stringify(profile));
    const figures = attribute(profile, sourceLines(join(outdir, `${name}.mjs`)));
    const r = load.requests;
    console.log(
      `${scenario} ${target}: ${r} answers, ${load.perSecond.toFixed(0)}/s, workerd CPU ${(load.cpuMsPerRequest * 1000).toFixed(0)} µs per answer (under the profiler); JavaScript samples ${(figures.totalUs / r).toFixed(1)} µs per answer`,
    );
    console.log("\nself time by source file, per answer:");
    for (const line of top(figures.selfByFile, 25, r)) console.log(line);
    console.log("\nself time by function, per answer:");
    for (const line of top(figures.selfByFunction, 40, r)) console.log(line);
    console.log("\ninclusive time by function, per answer:");
    for (const line of top(figures.inclusive, 40, r)) console.log(line);
  } finally {
    await server.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
}

await main();
