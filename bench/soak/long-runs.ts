import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { fixed } from "../stats.ts";
import { bundleWorkers, ROOT, rssMiB, serveOnWorkerd } from "../workerd.ts";
import { SOAK_WORKERS } from "./flood.ts";
import type { SoakSection } from "./run.ts";

/**
 * Long runs (impl-docs/security.md#long-runs): STREAMS concurrent SSE clients for SECONDS (60; e.g.
 * SOAK_LONG_SECONDS=30 for a quicker run) against `workers/long-sse.ts` on workerd, each stream a flow that yields a chunk every
 * 100 ms for 0.5–4 s. Each client opens a stream, then either reads it to its end or (70%) disconnects at a random
 * moment well before it, and opens the next. Properties: every run whose client disconnected early ended `cancelled`; after the clients
 * stop, runs started = runs ended and no node is left ticking (active runs back to zero); workerd's RSS stays
 * flat; every client stream was closed.
 */

const STREAMS = 100;
/** 60 s in `npm run soak`, the figure; `SOAK_LONG_SECONDS=30` for a quicker run. */
const SECONDS = Number(process.env.SOAK_LONG_SECONDS ?? 60);
const DISCONNECT_SHARE = 0.7;
/**
 * Flat: workerd's RSS grows under any load until V8 and the allocator settle (see flood.ts: a worker that only
 * answers 401 grows by ~300 MiB over its first ~25,000 requests), so the property is on the second half of the
 * run: a leak per stream would grow it as much as the first half did; settling grows it at most half as much
 * (or this little).
 */
const SETTLED_MIB = 16;

interface Active {
  started: number;
  ended: number;
  running: number;
  ticking: number;
  statuses: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(print: (line: string) => void): Promise<boolean> {
  const outdir = join(ROOT, ".tmp", "soak", `long-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  let mf: Miniflare | undefined;
  const open = new Set<AbortController>();
  try {
    const script = (await bundleWorkers(["long-sse"], outdir, SOAK_WORKERS))["long-sse"]!;
    const served = await serveOnWorkerd(script, { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] });
    mf = served.mf;
    const base = (await served.mf.unsafeGetDirectURL()).href;
    const active = async (): Promise<Active> =>
      (await (await fetch(`${base}_soak/active`, { signal: AbortSignal.timeout(10_000) })).json()) as Active;

    let opened = 0;
    let readToEnd = 0;
    let endedEarly = 0;
    let errors = 0;
    let chunks = 0;
    const disconnectedRuns: string[] = [];
    const completedRuns: string[] = [];

    /** One stream: n chunks; disconnect after `cutMs` when given. */
    const stream = async (n: number, cutMs: number | undefined): Promise<void> => {
      const controller = new AbortController();
      open.add(controller);
      try {
        const response = await fetch(`${base}slow?n=${n}`, { signal: controller.signal });
        opened++;
        const runId = response.headers.get("x-flow-run-id") ?? "";
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        const cut = cutMs === undefined ? undefined : setTimeout(() => controller.abort(), cutMs);
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            text += decoder.decode(value, { stream: true });
            if (text.length > 4096) text = text.slice(-1024);
            chunks++;
          }
          readToEnd++;
          completedRuns.push(runId);
        } catch (error) {
          if (controller.signal.aborted) {
            disconnectedRuns.push(runId);
          } else {
            errors++;
            if (errors < 4) print(`  client error: ${String(error)}`);
          }
        } finally {
          if (cut) clearTimeout(cut);
          reader.releaseLock();
        }
      } catch (error) {
        if (!controller.signal.aborted) {
          errors++;
          if (errors < 4) print(`  client error: ${String(error)}`);
        } else endedEarly++;
      } finally {
        controller.abort();
        open.delete(controller);
      }
    };

    // Warm-up, then the start figure.
    await Promise.all(Array.from({ length: 20 }, () => stream(3, undefined)));
    await sleep(500);
    const before = await active();
    const rssStart = rssMiB(served.pid);
    let rssMax = rssStart;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, rssMiB(served.pid));
    }, 500);
    let rssHalf = Number.NaN;
    const half = setTimeout(
      () => {
        rssHalf = rssMiB(served.pid);
      },
      (SECONDS * 1_000) / 2,
    );
    const until = performance.now() + SECONDS * 1_000;
    let peakRunning = 0;
    const watcher = setInterval(() => {
      active()
        .then((a) => {
          peakRunning = Math.max(peakRunning, a.running);
        })
        .catch(() => {});
    }, 2_000);
    await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        while (performance.now() < until) {
          const n = 5 + Math.floor(Math.random() * 36);
          // Disconnect at least 300 ms before the last chunk, so the run is surely still going.
          const cutMs =
            Math.random() < DISCONNECT_SHARE ? 50 + Math.random() * Math.max(0, n * 100 - 350) : undefined;
          await stream(n, cutMs);
        }
      }),
    );
    clearInterval(watcher);
    clearTimeout(half);
    const clientsOpen = open.size;
    // Active runs back to zero: poll until the last cancels and ends have landed (bounded).
    let after = await active();
    for (let i = 0; i < 50 && (after.running !== before.running || after.ticking !== 0); i++) {
      await sleep(200);
      after = await active();
    }
    clearInterval(sampler);
    await sleep(1_000);
    const rssEnd = rssMiB(served.pid);
    rssMax = Math.max(rssMax, rssEnd);

    const statusOf = async (ids: string[]): Promise<Record<string, string>> => {
      const response = await fetch(`${base}_soak/status`, {
        method: "POST",
        body: JSON.stringify(ids),
        signal: AbortSignal.timeout(30_000),
      });
      return (await response.json()) as Record<string, string>;
    };
    const disconnectedStatus = Object.values(await statusOf(disconnectedRuns));
    const completedStatus = Object.values(await statusOf(completedRuns));
    const notCancelled = disconnectedStatus.filter((s) => s !== "cancelled").length;
    const notOk = completedStatus.filter((s) => s !== "ok").length;
    const soakRuns = after.started - before.started;
    const growth = rssEnd - rssStart;
    const secondHalf = rssEnd - rssHalf;
    const odd = [
      ...Object.entries(await statusOf(disconnectedRuns))
        .filter(([, s]) => s !== "cancelled")
        .map(([id, s]) => `disconnected ${id}: ${s}`),
      ...Object.entries(await statusOf(completedRuns))
        .filter(([, s]) => s !== "ok")
        .map(([id, s]) => `completed ${id}: ${s}`),
    ];

    print(
      `${STREAMS} concurrent SSE clients for ${SECONDS} s; each stream 5–40 chunks 100 ms apart; ${fixed(DISCONNECT_SHARE * 100, 0)}% disconnect at a random moment before the end`,
    );
    print(
      `  streams opened ${opened} (runs started ${soakRuns}), read to the end ${readToEnd}, disconnected ${disconnectedRuns.length} (before the headers: ${endedEarly}), client errors ${errors}; ${chunks} reads; peak runs active ${peakRunning}`,
    );
    print(
      `  run statuses: ${JSON.stringify(after.statuses)}; disconnected runs not cancelled ${notCancelled}; completed runs not ok ${notOk}`,
    );
    print(
      `  after the clients stopped: runs active ${after.running - before.running}, nodes still ticking ${after.ticking}, client streams open ${clientsOpen}`,
    );
    for (const line of odd.slice(0, 5)) print(`  ${line}`);
    print(
      `  workerd RSS: start ${fixed(rssStart, 1)} MiB, half-way ${fixed(rssHalf, 1)} MiB, end ${fixed(rssEnd, 1)} MiB, max ${fixed(rssMax, 1)} MiB (growth ${fixed(growth, 1)} MiB, second half ${fixed(secondHalf, 1)} MiB)`,
    );
    const checks = [
      { name: "every disconnected run cancelled", ok: notCancelled === 0 && disconnectedRuns.length > 0 },
      { name: "every completed run ok", ok: notOk === 0 },
      { name: "active runs back to zero", ok: after.running === before.running && after.ticking === 0 },
      { name: "no stream left open", ok: clientsOpen === 0 && errors === 0 },
      {
        name: `workerd RSS growth over the second half ≤ half the first half's (or ≤ ${SETTLED_MIB} MiB)`,
        ok: secondHalf <= Math.max(SETTLED_MIB, (rssHalf - rssStart) / 2),
      },
    ];
    for (const c of checks) print(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}`);
    return checks.every((c) => c.ok);
  } finally {
    for (const controller of open) controller.abort();
    await mf?.dispose().catch(() => {});
    rmSync(outdir, { recursive: true, force: true });
  }
}

export const longRunsSection: SoakSection = { name: "Long runs: 100 concurrent SSE streams", run };

if (import.meta.main) process.exitCode = (await run(console.log)) ? 0 : 1;
