import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFromProcess } from "./load-process.ts";
import { formatSpread, spread } from "./stats.ts";
import { bundleWorkers, durableObjectDir, serveWithWorkerd, type WorkerdServer } from "./workerd.ts";

/**
 * A/B of the kernel's cost on the 1- and 5-node HTTP flows: `flows-chain.ts` bundled from two checkouts (the
 * arguments, e.g. `/work/main .`), and `hono-chain.ts` from the second, each served by its own `workerd serve`
 * pinned to CPU 0, load from a process pinned to CPU 1, the builds interleaved round by round; prints the medians
 * (and range) of requests/s and workerd CPU per request. BENCH_SECONDS (default 3) per load, BENCH_ROUNDS
 * (default 3), BENCH_PORT (default 0: workerd picks).
 * @example node bench/chain-ab.ts /work/main .
 */
const [a = "/work/main", b = "."] = process.argv.slice(2);
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const basePort = Number(process.env.BENCH_PORT ?? 0);
const out = mkdtempSync(join(tmpdir(), "chain-ab-"));

const builds: { name: string; bundle: string }[] = [];
for (const [label, root] of [
  ["A", a],
  ["B", b],
] as const) {
  const bundles = await bundleWorkers(
    ["flows-chain", "hono-chain"],
    join(out, label),
    join(root, "bench", "workers"),
  );
  builds.push({ name: `flows ${label} (${root})`, bundle: bundles["flows-chain"]! });
  if (label === "B") builds.push({ name: "hono", bundle: bundles["hono-chain"]! });
}

const servers: WorkerdServer[] = [];
try {
  for (const [index, build] of builds.entries()) {
    const flows = build.name.startsWith("flows");
    servers.push(
      await serveWithWorkerd({
        bundle: build.bundle,
        dir: flows ? durableObjectDir(`chain-ab-${index}`) : join(out, `hono-${index}`),
        ...(flows && { durableObjects: { FLOWS_RUNS: "FlowsRuns" } }),
        port: basePort === 0 ? 0 : basePort + index,
        cpus: "0",
      }),
    );
  }
  const figures = new Map<string, { rps: number[]; cpu: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const route of ["chain1", "chain5"]) {
      for (const [index, build] of builds.entries()) {
        const server = servers[index]!;
        const result = await loadFromProcess({
          url: `${server.url}${route}`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"n":1}',
          connections: 20,
          seconds,
          serverPid: server.pid,
          expect: { status: 200, json: { n: route === "chain1" ? 2 : 6 } },
        });
        const key = `${route} ${build.name}`;
        const entry = figures.get(key) ?? { rps: [], cpu: [] };
        entry.rps.push(result.perSecond);
        entry.cpu.push(result.cpuMsPerRequest * 1000);
        figures.set(key, entry);
      }
    }
  }
  const range = (xs: number[]): string => formatSpread(spread(xs), 0);
  console.log(`| route and build | requests/s | workerd CPU µs/request |\n| --- | --- | --- |`);
  for (const [key, { rps, cpu }] of figures) console.log(`| ${key} | ${range(rps)} | ${range(cpu)} |`);
} finally {
  for (const server of servers) await server.stop();
}
