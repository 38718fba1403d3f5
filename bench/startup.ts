import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import definitions from "@octokit/webhooks-examples" with { type: "json" };
import { sign } from "@octokit/webhooks-methods";
import { fixed, formatSpread, type Spread, spread } from "./stats.ts";
import {
  bundleWorkers,
  cpuMs,
  durableObjectDir,
  pin,
  pinnedCommand,
  ROOT,
  serveWithWorkerd,
} from "./workerd.ts";

/**
 * Module start-up of the webhook bundles (issue 15's last goal), for `bench/worker-cost.ts` or alone
 * (`node bench/startup.ts`). Each bundle is minified, as `flows package workers` minifies a Worker. Measured in a
 * fresh process each time, the bundles interleaved, medians of `BENCH_STARTUP_REPS` (at least 5):
 *
 * - Node: `await import()` of the bundle, then its first answer to the webhook delivery (`issues.opened`, the
 *   in-memory ledger), in the same process. Import alone is what the goal compares; work a bundle defers from
 *   its import to its first request shows in the second figure, so both are printed. Node's own lazy parts
 *   (stdout, the fetch classes, WebCrypto's HMAC) are loaded before the clock starts: a Worker has them built in.
 * - Node, parsing alone: the same bundle's code inside a function that is never called, imported the same way. V8
 *   still parses all of it (lazily compiled functions are pre-parsed), so this is the floor an import of that many
 *   bytes costs before any of its code runs.
 * - workerd (`workerd serve`, no Miniflare): from spawn to the first webhook answered, and workerd's CPU by then;
 *   an empty Worker's first answer shows workerd's own start.
 */

export const STARTUP_REPS = Math.max(5, Number(process.env.BENCH_STARTUP_REPS ?? 5));
const SECRET = "bench-webhook-secret";
const WEBHOOK_PATH = "api/github/webhooks";

export interface StartupFigures {
  label: string;
  /** Node: `await import()` of the bundle in a fresh process, ms (undefined for a bundle not loaded in Node). */
  importMs?: Spread;
  /** Node: the first webhook's answer after the import, ms, and import + that answer. */
  firstRequestMs?: Spread;
  importAndFirstMs?: Spread;
  /** Node: import of the bundle's code wrapped in an uncalled function (parsing alone), ms; and its size, bytes. */
  parseOnlyMs?: Spread;
  bytes?: number;
  /** `workerd serve`: from spawn to the first answer (the webhook; the empty Worker: `GET /`), ms. */
  firstAnswerMs: Spread;
  /** workerd's CPU by the first answer, ms. */
  firstAnswerCpuMs: Spread;
}

/** The first request a bundle answers: a signed webhook delivery, and what its answer must hold. */
export interface FirstRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The bindings passed to `fetch` in Node (workerd has them from its config). */
  env: Record<string, string>;
  expect: { status: number; includes: string };
}

/** The `issues.opened` example delivery of `@octokit/webhooks-examples` (11.6 KB), as JSON text. */
export function issuesOpened(): string {
  const issues = (definitions as { name: string; examples: { action?: string }[] }[]).find(
    (d) => d.name === "issues",
  );
  const payload = issues?.examples.find((e) => e.action === "opened");
  if (!payload) throw new Error("@octokit/webhooks-examples has no issues.opened example");
  return JSON.stringify(payload);
}

/** The `issues.opened` delivery, signed, with a fresh delivery id, answered with the in-memory ledger. */
export async function webhookRequest(): Promise<FirstRequest> {
  const body = issuesOpened();
  return {
    path: WEBHOOK_PATH,
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": await sign(SECRET, body),
      "x-bench-ledger": "memory",
    },
    body,
    env: { GITHUB_WEBHOOK_SECRET: SECRET },
    expect: { status: 200, includes: '"label-issue"' },
  };
}

/**
 * Runs in the child process: argv[1] the bundle's URL, argv[2] the request. The clock starts after Node's own
 * lazy parts are loaded (`process.stdout` is a getter that sets up the stream: reading it inside the timed part
 * added about 2 ms to every import).
 */
const CHILD = `
const out = process.stdout;
const request = JSON.parse(process.argv[2]);
await new Response(new Request("http://127.0.0.1/", { method: "POST", body: "x" }).body).text();
const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("k"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
await crypto.subtle.verify("HMAC", key, await crypto.subtle.sign("HMAC", key, new Uint8Array(1)), new Uint8Array(1));
const t0 = performance.now();
const mod = await import(process.argv[1]);
const t1 = performance.now();
const waits = [];
const ctx = { waitUntil: (p) => { waits.push(p); }, passThroughOnException() {} };
const init = { method: request.method, headers: request.headers, ...(request.body === undefined ? {} : { body: request.body }) };
const response = await mod.default.fetch(new Request("http://127.0.0.1/" + request.path, init), request.env, ctx);
const text = await response.text();
const t2 = performance.now();
await Promise.all(waits);
out.write(JSON.stringify({ importMs: t1 - t0, firstRequestMs: t2 - t1, status: response.status, text: text.slice(0, 300) }));
`;

/** Node: imports `bundle` in a fresh process pinned to `cpu` and answers `request`; ms of each. */
export function nodeStartup(
  bundle: string,
  request: FirstRequest,
  cpu: string,
): { importMs: number; firstRequestMs: number } {
  const [command, args] = pinnedCommand(cpu, process.execPath, [
    "--input-type=module",
    "-e",
    CHILD,
    pathToFileURL(bundle).href,
    JSON.stringify({ ...request, headers: { ...request.headers, "x-github-delivery": crypto.randomUUID() } }),
  ]);
  const out = execFileSync(command, args, { timeout: 60_000, encoding: "utf8" });
  const result = JSON.parse(out) as {
    importMs: number;
    firstRequestMs: number;
    status: number;
    text: string;
  };
  if (result.status !== request.expect.status || !result.text.includes(request.expect.includes))
    throw new Error(`${bundle} answered its first request ${result.status} ${result.text}`);
  return result;
}

const PARSE_CHILD = `
const out = process.stdout;
const t0 = performance.now();
await import(process.argv[1]);
out.write(JSON.stringify({ importMs: performance.now() - t0 }));
`;

/**
 * Writes `<bundle>.parse.mjs`: the bundle's code as the body of a function nobody calls (its closing `export {…}`
 * left out), so importing it parses the code and runs none of it. Returns its path.
 */
export function parseOnlyBundle(bundle: string): string {
  const code = readFileSync(bundle, "utf8");
  const exports = code.lastIndexOf("export{");
  if (exports < 0) throw new Error(`${bundle} does not end with esbuild's export {…}`);
  const path = bundle.replace(/\.mjs$/, ".parse.mjs");
  writeFileSync(path, `function neverCalled(){${code.slice(0, exports)}\n}\nexport default neverCalled;\n`);
  return path;
}

/** Node: imports `module` in a fresh process pinned to `cpu`; ms. */
export function nodeImportOnly(module: string, cpu: string): number {
  const [command, args] = pinnedCommand(cpu, process.execPath, [
    "--input-type=module",
    "-e",
    PARSE_CHILD,
    pathToFileURL(module).href,
  ]);
  return (
    JSON.parse(execFileSync(command, args, { timeout: 60_000, encoding: "utf8" })) as { importMs: number }
  ).importMs;
}

/** workerd: spawn to the first answer to `request`, and workerd's CPU then. */
export async function workerdFirstAnswer(
  bundle: string,
  dir: string,
  request: FirstRequest,
  cpu: string,
  options: { durableObjects?: Record<string, string> } = {},
): Promise<{ ms: number; cpuMs: number }> {
  const server = await serveWithWorkerd({
    bundle,
    dir,
    text: request.env,
    ...(options.durableObjects ? { durableObjects: options.durableObjects } : {}),
    cpus: cpu,
  });
  try {
    const response = await fetch(`${server.url}${request.path}`, {
      method: request.method,
      headers: { ...request.headers, "x-github-delivery": crypto.randomUUID() },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const ms = performance.now() - server.spawnedAt;
    if (response.status !== request.expect.status || !text.includes(request.expect.includes))
      throw new Error(`${bundle}: ${request.method} /${request.path} answered ${response.status} ${text}`);
    return { ms, cpuMs: cpuMs(server.pid) };
  } finally {
    await server.stop();
  }
}

/**
 * Start-up of the flows and the hand-written webhook bundles (and an empty Worker on workerd), interleaved,
 * `STARTUP_REPS` rounds; servers pinned to `cpu`. Bundles, configs and SQLite files go under `outdir`, removed after.
 * @example const [flows, hono, empty] = await benchStartup(outdir, "0")
 */
export async function benchStartup(outdir: string, cpu: string): Promise<StartupFigures[]> {
  const objects = durableObjectDir("startup");
  mkdirSync(outdir, { recursive: true });
  try {
    const names = ["flows-github", "hono-github"];
    const workerd = await bundleWorkers([...names, "empty"], join(outdir, "workerd"), undefined, {
      minify: true,
    });
    const node = await bundleWorkers(names, join(outdir, "node"), undefined, { node: true, minify: true });
    const parseOnly = Object.fromEntries(
      Object.entries(node).map(([name, path]) => [name, parseOnlyBundle(path)]),
    );
    const webhook = await webhookRequest();
    const floor: FirstRequest = {
      path: "",
      method: "GET",
      headers: {},
      env: {},
      expect: { status: 200, includes: "ok" },
    };
    const targets = [
      { label: "flows webhook bundle", name: "flows-github", request: webhook },
      { label: "hand-written webhook bundle", name: "hono-github", request: webhook },
      { label: "empty Worker (workerd's own start)", name: "empty", request: floor },
    ];
    const runs = targets.map(() => ({
      importMs: [] as number[],
      firstMs: [] as number[],
      parseMs: [] as number[],
      ms: [] as number[],
      cpu: [] as number[],
    }));
    for (let rep = 0; rep < STARTUP_REPS; rep++)
      for (const [i, target] of targets.entries()) {
        const run = runs[i]!;
        const inNode = node[target.name];
        if (inNode) {
          const first = nodeStartup(inNode, target.request, cpu);
          run.importMs.push(first.importMs);
          run.firstMs.push(first.firstRequestMs);
          run.parseMs.push(nodeImportOnly(parseOnly[target.name]!, cpu));
        }
        const served = await workerdFirstAnswer(
          workerd[target.name]!,
          join(objects, `${target.name}-${rep}`),
          target.request,
          cpu,
          target.name === "empty" ? {} : { durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" } },
        );
        run.ms.push(served.ms);
        run.cpu.push(served.cpuMs);
      }
    return targets.map((target, i): StartupFigures => {
      const run = runs[i]!;
      const inNode =
        run.importMs.length > 0
          ? {
              importMs: spread(run.importMs),
              firstRequestMs: spread(run.firstMs),
              importAndFirstMs: spread(run.importMs.map((ms, k) => ms + run.firstMs[k]!)),
              parseOnlyMs: spread(run.parseMs),
              bytes: statSync(node[target.name]!).size,
            }
          : {};
      return {
        label: target.label,
        ...inNode,
        firstAnswerMs: spread(run.ms),
        firstAnswerCpuMs: spread(run.cpu),
      };
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(objects, { recursive: true, force: true });
  }
}

const ratio = (a: Spread | undefined, b: Spread | undefined): number =>
  a && b ? a.median / b.median : Number.NaN;

/** flows ÷ hand-written: the import alone (the goal), and import + the first webhook. */
export function startupRatios(startup: readonly StartupFigures[]): { importOnly: number; withFirst: number } {
  const [flows, hono] = [startup[0], startup[1]];
  return {
    importOnly: ratio(flows?.importMs, hono?.importMs),
    withFirst: ratio(flows?.importAndFirstMs, hono?.importAndFirstMs),
  };
}

const kb = (bytes: number | undefined): string =>
  bytes === undefined ? "n/a" : `${(bytes / 1000).toFixed(0)} KB`;

/** The start-up rows of the worker-cost table: `| what | flows | hand-written | ratio |`. */
export function startupRows(startup: readonly StartupFigures[]): string[][] {
  const [flows, hono, empty] = [startup[0]!, startup[1]!, startup[2]!];
  const cell = (s: Spread | undefined, digits: number) => (s ? formatSpread(s, digits) : "n/a");
  const { importOnly, withFirst } = startupRatios(startup);
  return [
    [
      "start-up in Node, ms: import of the webhook bundle; import + its first webhook",
      `${cell(flows.importMs, 1)}; ${cell(flows.importAndFirstMs, 1)}`,
      `${cell(hono.importMs, 1)}; ${cell(hono.importAndFirstMs, 1)}`,
      `${fixed(importOnly, 2)}; ${fixed(withFirst, 2)}`,
    ],
    [
      "start-up in Node: parsing the bundle alone (its code in an uncalled function), ms (its size, KB)",
      `${cell(flows.parseOnlyMs, 1)} (${kb(flows.bytes)})`,
      `${cell(hono.parseOnlyMs, 1)} (${kb(hono.bytes)})`,
      fixed(ratio(flows.parseOnlyMs, hono.parseOnlyMs), 2),
    ],
    [
      "start-up on workerd serve, ms: spawn → first webhook answered (empty Worker: first answer)",
      cell(flows.firstAnswerMs, 0),
      cell(hono.firstAnswerMs, 0),
      `${fixed(ratio(flows.firstAnswerMs, hono.firstAnswerMs), 2)} (empty: ${cell(empty.firstAnswerMs, 0)})`,
    ],
    [
      "start-up on workerd serve: workerd CPU by the first answer, ms (empty Worker)",
      cell(flows.firstAnswerCpuMs, 0),
      cell(hono.firstAnswerCpuMs, 0),
      `${fixed(ratio(flows.firstAnswerCpuMs, hono.firstAnswerCpuMs), 2)} (empty: ${cell(empty.firstAnswerCpuMs, 0)})`,
    ],
  ];
}

if (import.meta.main) {
  // As in worker-cost: the servers on CPU 0, this process (the client) on CPU 1.
  const pinned = pin(process.pid, "1");
  const startup = await benchStartup(join(ROOT, ".tmp", "bench", `startup-${process.pid}`), "0");
  if (pinned) pin(process.pid, "0-1");
  console.log(`Start-up, median (min–max) of ${STARTUP_REPS} interleaved rounds, minified bundles:`);
  console.log("| | flows | hand-written | ratio |\n| --- | --- | --- | --- |");
  for (const row of startupRows(startup)) console.log(`| ${row.join(" | ")} |`);
  console.log(JSON.stringify(startup));
}
