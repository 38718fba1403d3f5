import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import type { Miniflare } from "miniflare";
import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { validateFlows } from "../../flows/validate/index.ts";
import { BUILTIN_KINDS, catalogOf, createRegistry } from "../../kernel/index.ts";
import { fixed } from "../stats.ts";
import { bundleWorkers, pin, ROOT, rssMiB, serveOnWorkerd } from "../workerd.ts";
import type { SoakSection } from "./run.ts";

/**
 * Floods (impl-docs/security.md#floods): webhooks with bad signatures at full speed against the served
 * examples/github-app flows (`workers/flood-github.ts` on workerd, FlowsRuntime ledger, KV), for FLOOD_SECONDS.
 * Properties: workerd's RSS stays flat (start, end, max), rejections are answered at least as fast as accepted
 * deliveries in a comparable run (same payload, same concurrency, fresh delivery ids), and workerd's log holds
 * exactly one short line per rejection that never carries the payload, its size, the signature or the secret.
 */

const SECRET = "soak-webhook-secret";
const PATH = "api/github/webhooks";
const FLOOD_SECONDS = 30;
const ACCEPTED_SECONDS = 10;
const CONCURRENCY = 16;
/**
 * Flat: workerd's RSS grows under any load until V8 and the allocator settle (a worker that only answers 401 grows
 * by ~300 MiB over its first ~25,000 requests, then stops), so flows may grow at most this much more than that floor
 * worker does over the same number of requests. (A popular peer grows by about 90 MB/s under this flood.)
 */
const MAX_GROWTH_OVER_FLOOR_MIB = 32;
/** A short line. */
const MAX_LINE_BYTES = 400;

/** Where the soak workers are. */
export const SOAK_WORKERS = join(import.meta.dirname, "workers");

const EXAMPLE_FILES = ["issue-opened.yaml", "pull-request.yaml", "read.yaml"];

/** The example flows, validated in Node as the example worker validates them. */
export function exampleGithubFlows(): FlowDocument[] {
  const sources = EXAMPLE_FILES.map((name) => {
    const file = `examples/github-app/${name}`;
    return { file, text: readFileSync(join(ROOT, file), "utf8") };
  });
  const validation = validateFlows(sources, catalogOf(createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS)));
  if (!validation.ok) throw new Error(`example flows invalid: ${JSON.stringify(validation.diagnostics)}`);
  return validation.flows.map((f) => f.document);
}

interface Load {
  answered: number;
  wrongStatus: number;
  perSecond: number;
}

/** Deliveries for `seconds`, CONCURRENCY in flight, each with a fresh delivery id; counts answers != `status`. */
async function load(
  base: string,
  body: string,
  signature: () => string,
  seconds: number,
  status: number,
): Promise<Load> {
  const started = performance.now();
  const until = started + seconds * 1_000;
  let answered = 0;
  let wrongStatus = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const response = await fetch(`${base}${PATH}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": crypto.randomUUID(),
            "x-hub-signature-256": signature(),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        answered++;
        if (response.status !== status) wrongStatus++;
      }
    }),
  );
  return { answered, wrongStatus, perSecond: (answered * 1_000) / (performance.now() - started) };
}

/** Serves a soak worker on workerd with a direct socket (no Miniflare entry worker in the request path). */
async function serveDirect(name: string, outdir: string, options: Record<string, unknown>) {
  const script = (await bundleWorkers([name], outdir, SOAK_WORKERS))[name]!;
  const served = await serveOnWorkerd(script, {
    ...options,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  try {
    return { ...served, url: (await served.mf.unsafeGetDirectURL()).href };
  } catch (error) {
    await served.mf.dispose().catch(() => {});
    throw error;
  }
}

/** RSS of `pid` at the start, the end and the max of `work()`, sampled every 250 ms. */
async function watchRss<T>(pid: number, work: () => Promise<T>) {
  const start = rssMiB(pid);
  let max = start;
  const sampler = setInterval(() => {
    max = Math.max(max, rssMiB(pid));
  }, 250);
  try {
    const result = await work();
    const end = rssMiB(pid);
    return { result, start, end, max: Math.max(max, end), growth: end - start };
  } finally {
    clearInterval(sampler);
  }
}

/** `count` deliveries (bounded by `seconds`), CONCURRENCY in flight. */
async function loadCount(
  base: string,
  body: string,
  signature: () => string,
  count: number,
  seconds: number,
) {
  const started = performance.now();
  const until = started + seconds * 1_000;
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count && performance.now() < until) {
        next++;
        const response = await fetch(`${base}${PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-hub-signature-256": signature() },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        answered++;
      }
    }),
  );
  return { answered, seconds: (performance.now() - started) / 1_000 };
}

async function run(print: (line: string) => void): Promise<boolean> {
  const outdir = join(ROOT, ".tmp", "soak", `flood-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  const logs: string[] = [];
  const servers: Miniflare[] = [];
  let pinned = false;
  try {
    const served = await serveDirect("flood-github", outdir, {
      bindings: { GITHUB_WEBHOOK_SECRET: SECRET, SOAK_FLOWS: exampleGithubFlows() },
      kvNamespaces: ["FLOW_KV"],
      durableObjects: { FLOWS_RUNTIME: { className: "FlowsRuntime", useSQLite: true } },
      handleStructuredLogs: (log: { message: string }) => logs.push(log.message),
    });
    servers.push(served.mf);
    pinned = pin(served.pid, "1") && pin(process.pid, "0");

    const marker = `soak-payload-${crypto.randomUUID()}`;
    const payload = {
      action: "opened",
      issue: {
        number: 4242,
        title: `Flood ${marker}`,
        user: { login: "octocat" },
        body: `${marker} ${"lorem ipsum ".repeat(150)}`,
      },
      repository: { id: 1296269, full_name: "octocat/Hello-World" },
      sender: { login: "octocat" },
      installation: { id: 1 },
    };
    const body = JSON.stringify(payload);
    const good = await sign(SECRET, body);
    const badSignature = () => `sha256=${crypto.randomUUID().replaceAll("-", "").repeat(2)}`;

    // Warm-up (and a check that the worker answers both ways).
    const warmGood = await load(served.url, body, () => good, 2, 200);
    const warmBad = await load(served.url, body, badSignature, 2, 401);
    if (warmGood.wrongStatus > 0 || warmBad.wrongStatus > 0)
      throw new Error(
        `warm-up answers wrong: ${warmGood.wrongStatus} accepted, ${warmBad.wrongStatus} rejected`,
      );

    const accepted = await load(served.url, body, () => good, ACCEPTED_SECONDS, 200);

    // Let the accepted run's log lines arrive, then count only the flood's.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    logs.length = 0;
    const rss = await watchRss(served.pid, () => load(served.url, body, badSignature, FLOOD_SECONDS, 401));
    const flood = rss.result;
    for (let i = 0; i < 40 && logs.length < flood.answered; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 300));

    const runLines = logs.filter((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return parsed.message === "flow run" && parsed.status === "failed" && parsed.nodeId === "verify";
      } catch {
        return false;
      }
    });
    const longest = Math.max(0, ...logs.map((line) => Buffer.byteLength(line)));
    const forbidden = [marker, "lorem ipsum", String(body.length), SECRET, good.slice(7)];
    // Run ids are random digits: search each line without its run id, so a size never matches by chance.
    const withoutRunId = (line: string) => line.replace(/"runId":"[^"]*"/, "");
    const leaking = logs.filter((line) => forbidden.some((f) => withoutRunId(line).includes(f))).length;

    if (pinned) pin(served.pid, "0-1");
    await served.mf.dispose();
    servers.length = 0;

    // The floor: the same flood, as many requests, against a worker that only answers 401.
    const floor = await serveDirect("flood-floor", outdir, {});
    servers.push(floor.mf);
    if (pinned) pin(floor.pid, "1");
    await load(floor.url, body, badSignature, 2, 401);
    const floorRss = await watchRss(floor.pid, () =>
      loadCount(floor.url, body, badSignature, flood.answered, FLOOD_SECONDS),
    );
    const overFloor = rss.growth - floorRss.growth;
    const checks = [
      { name: "every flood request answered 401", ok: flood.wrongStatus === 0 && accepted.wrongStatus === 0 },
      {
        name: `workerd RSS growth ≤ the floor worker's + ${MAX_GROWTH_OVER_FLOOR_MIB} MiB`,
        ok: overFloor <= MAX_GROWTH_OVER_FLOOR_MIB,
      },
      { name: "rejections/s ≥ accepted deliveries/s", ok: flood.perSecond >= accepted.perSecond },
      {
        name: "one log line per rejection",
        ok: logs.length === flood.answered && runLines.length === logs.length,
      },
      { name: `every line ≤ ${MAX_LINE_BYTES} bytes`, ok: longest <= MAX_LINE_BYTES },
      { name: "no line holds the payload, its size, the signature or the secret", ok: leaking === 0 },
    ];
    print(
      `bad-signature flood: ${FLOOD_SECONDS} s, ${CONCURRENCY} in flight, payload ${body.length} bytes; ${pinned ? "workerd on CPU 1, client on CPU 0" : "not pinned"}`,
    );
    print(
      `  rejections: ${flood.answered} (${fixed(flood.perSecond, 0)}/s), non-401 answers ${flood.wrongStatus}`,
    );
    print(
      `  accepted deliveries (comparable run, ${ACCEPTED_SECONDS} s, signed, fresh ids, KV write + ledger): ${accepted.answered} (${fixed(accepted.perSecond, 0)}/s)`,
    );
    print(`  rejections ÷ accepted, per second: ${fixed(flood.perSecond / accepted.perSecond, 2)}`);
    const mib = (x: { start: number; end: number; max: number; growth: number }) =>
      `start ${fixed(x.start, 1)} MiB, end ${fixed(x.end, 1)} MiB, max ${fixed(x.max, 1)} MiB (growth ${fixed(x.growth, 1)} MiB)`;
    print(`  workerd RSS, flows: ${mib(rss)}, ${fixed(rss.growth / FLOOD_SECONDS, 2)} MiB/s`);
    print(
      `  workerd RSS, floor worker (answers 401, no flows code), ${floorRss.result.answered} requests in ${fixed(floorRss.result.seconds, 1)} s: ${mib(floorRss)}`,
    );
    print(`  flows growth − floor growth: ${fixed(overFloor, 1)} MiB`);
    print(
      `  log: ${logs.length} lines for ${flood.answered} rejections (${runLines.length} run lines, ${fixed(logs.length / Math.max(1, flood.answered), 3)} per rejection), longest ${longest} bytes, ${leaking} holding payload/size/signature/secret`,
    );
    if (logs[0]) print(`  a line: ${logs[0]}`);
    for (const c of checks) print(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}`);
    return checks.every((c) => c.ok);
  } finally {
    if (pinned) pin(process.pid, "0-1");
    for (const mf of servers) await mf.dispose().catch(() => {});
    rmSync(outdir, { recursive: true, force: true });
  }
}

export const floodSection: SoakSection = { name: "Floods: bad-signature webhooks", run };

if (import.meta.main) process.exitCode = (await run(console.log)) ? 0 : 1;
