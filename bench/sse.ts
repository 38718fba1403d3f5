import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fixed, formatSpread, type Spread, spread } from "./stats.ts";
import { bundleWorkers, ROOT, serveWithWorkerd, type WorkerdServer } from "./workerd.ts";

/**
 * SSE streaming: the flows Workers host against two hand-written workers doing the same wire work (N events
 * `{ i }` with ids, then `end`): Hono's `streamSSE` awaiting each write (the idiomatic way), and a plain
 * ReadableStream enqueueing without waiting (the flows host's own strategy). All bundled with esbuild and served
 * by `workerd serve` from a generated config (no Miniflare, no `wrangler dev` proxy), driven by Node's `fetch`
 * over 127.0.0.1. Measures the
 * time to the first SSE event, events per second on one stream of 20,000 chunks, and (flows only) how long a
 * client disconnect takes to abort the running node's signal. Warm-up first; servers interleaved so that all see
 * the same machine state. The bench workers are `bench/workers/flows-sse.ts` and `bench/workers/hono-sse.ts`.
 */

export interface SseGoal {
  name: string;
  goal: string;
  value: string;
  met: boolean;
}

/** The three servers: the flows host, Hono `streamSSE` (awaited writes), a raw ReadableStream (no waiting). */
export type SseTarget = "flows" | "hono" | "raw";

export interface StreamFigures {
  /** Every dispatched event (`event:` frame): for flows, run events + chunks + the final `end`. */
  eventsPerSec: Spread;
  /** The `{ i }` payloads: `node.chunk` frames for flows, data events for the hand-written ones. */
  chunksPerSec: Spread;
  /** Request sent → whole body read, ms. */
  streamMs: Spread;
  /** Request sent → first complete event frame on this long stream, ms. */
  firstEventMs: Spread;
  eventsPerStream: number;
  bytesPerStream: number;
  /** `read()` calls the client needed (how coalesced the bytes arrived). */
  readsPerStream: number;
}

export interface CancelFigures {
  heartbeatMs: number;
  /** Recorded abort time in the worker − the client's Date.now() when it aborted, ms (missed runs left out). */
  latencyMs: Spread;
  /** Runs whose abort was not recorded within the poll bound. */
  missed: number;
  pollBoundMs: number;
}

export interface SseBenchResult {
  /** Chunks per stream in the throughput runs. */
  n: number;
  /** Load average when the bench started (the machine may be shared). */
  loadAverage: number[];
  repetitions: { firstEvent: number; throughput: Record<SseTarget, number>; cancel: number[] };
  /** Request sent → first complete event frame, on a stream of 10 chunks, ms. */
  firstEventMs: Record<SseTarget, Spread>;
  /** Request sent → response headers, on the same streams, ms. */
  headersMs: Record<SseTarget, Spread>;
  throughput: Record<SseTarget, StreamFigures>;
  /** Ratios of medians, flows ÷ each hand-written server. */
  ratios: { eventsVsHono: number; chunksVsHono: number; eventsVsRaw: number; chunksVsRaw: number };
  cancel: { defaultHeartbeat: CancelFigures; heartbeat20: CancelFigures };
  goals: SseGoal[];
}

const N = 20_000;
const FIRST_EVENT_REPS = 30;
/** Hono's awaited stream takes seconds per 20,000 events: fewer (still ≥ 5) repetitions of it. */
const THROUGHPUT_REPS: Record<SseTarget, number> = { flows: 9, hono: 5, raw: 9 };
const CANCEL_REPS_FAST = 12;
const CANCEL_REPS_DEFAULT = 3;
/** The flows host's default SSE heartbeat (`DEFAULT_HEARTBEAT_MS`): the bench worker's `/hang` uses it. */
const DEFAULT_HEARTBEAT_MS = 15_000;
/** Upper bound for any single stream read; a bench never waits longer than this for one response. */
const STREAM_TIMEOUT_MS = 60_000;
const TARGETS: readonly SseTarget[] = ["flows", "hono", "raw"];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What one SSE response looked like to the client. */
interface StreamReading {
  /** ms from sending the request to the response headers. */
  headersMs: number;
  /** ms from sending the request to the first complete event frame. */
  firstEventMs: number;
  /** ms from sending the request to the end of the body. */
  totalMs: number;
  /** Dispatched events (frames with fields; comment-only frames such as `: heartbeat` are not events). */
  events: number;
  /** `node.chunk` frames (flows) or `message` frames (hand-written): the `{ i }` payloads. */
  chunks: number;
  bytes: number;
  reads: number;
  lastType: string;
  runId: string | null;
  /** Every frame, when asked for (validation). */
  frames?: string[];
}

/** The type of an SSE frame: its `event:` field, or `message` when it has none. */
function frameType(frame: string): string {
  if (!frame.startsWith("event: ")) return "message";
  const end = frame.indexOf("\n");
  return frame.slice(7, end < 0 ? undefined : end);
}

/**
 * Reads one SSE response to its end (or to its first event with `firstOnly`), counting complete frames as they
 * arrive. A frame is a block ending in a blank line (the servers here write `\n` line ends only).
 */
async function readSse(
  url: string,
  options: { firstOnly?: boolean; keep?: boolean; signal?: AbortSignal } = {},
): Promise<StreamReading> {
  const timeout = AbortSignal.timeout(STREAM_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = performance.now();
  const response = await fetch(url, { signal });
  const headersMs = performance.now() - started;
  if (!response.ok || !response.body) throw new Error(`GET ${url}: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const reading: StreamReading = {
    headersMs,
    firstEventMs: Number.NaN,
    totalMs: Number.NaN,
    events: 0,
    chunks: 0,
    bytes: 0,
    reads: 0,
    lastType: "",
    runId: response.headers.get("x-flow-run-id"),
    ...(options.keep ? { frames: [] } : {}),
  };
  let pending = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reading.reads++;
      reading.bytes += value.byteLength;
      pending += decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const end = pending.indexOf("\n\n", start);
        if (end < 0) break;
        const frame = pending.slice(start, end);
        start = end + 2;
        if (frame.charCodeAt(0) === 58 /* ":" */ && !frame.includes("\n")) continue; // a comment
        reading.events++;
        if (reading.events === 1) reading.firstEventMs = performance.now() - started;
        reading.lastType = frameType(frame);
        if (reading.lastType === "node.chunk" || reading.lastType === "message") reading.chunks++;
        reading.frames?.push(frame);
      }
      pending = pending.slice(start);
      if (options.firstOnly && reading.events > 0) return reading; // the caller aborts the request
    }
  } finally {
    if (!options.firstOnly) reader.releaseLock();
  }
  reading.totalMs = performance.now() - started;
  return reading;
}

/** Reads a short stream and checks it: the right chunks in order, ids 1, 2, 3…, a final `end`. */
async function validate(url: string, target: SseTarget): Promise<void> {
  const n = 50;
  const reading = await readSse(url.replace(/\?n=\d+$/, `?n=${n}`), { keep: true });
  const frames = reading.frames!;
  const field = (frame: string, name: string): string | undefined =>
    frame
      .split("\n")
      .find((line) => line.startsWith(`${name}: `))
      ?.slice(name.length + 2);
  const flows = target === "flows";
  const chunkFrames = frames.filter((f) => frameType(f) === (flows ? "node.chunk" : "message"));
  const chunks = chunkFrames.map((f) => {
    const data = JSON.parse(field(f, "data")!) as { chunk?: { i: number }; i?: number };
    return flows ? data.chunk?.i : data.i;
  });
  const ids = frames.map((f) => Number(field(f, "id")));
  const problems: string[] = [];
  if (chunks.length !== n || chunks.some((i, k) => i !== k)) problems.push(`chunks ${chunks.join(",")}`);
  if (ids.some((id, k) => id !== k + 1)) problems.push(`ids ${ids.join(",")}`);
  if (reading.lastType !== "end") problems.push(`last event ${reading.lastType}`);
  if (flows && frameType(frames[0]!) !== "run.start") problems.push(`first event ${frameType(frames[0]!)}`);
  if (problems.length > 0) throw new Error(`${target} SSE stream is wrong: ${problems.join("; ")}`);
}

/** One whole stream; fails unless it carried every chunk and ended with `end`. */
async function oneStream(url: string, chunks: number): Promise<StreamReading> {
  const reading = await readSse(url);
  if (reading.lastType !== "end" || reading.chunks !== chunks)
    throw new Error(`${url}: ${reading.chunks} chunks, last event ${reading.lastType}`);
  return reading;
}

/**
 * Opens a `/hang` stream, waits for its first event, aborts the request, then polls `/probe/<runId>` until the
 * worker has recorded when the node's signal aborted. Returns recorded − client abort time in ms, or NaN when
 * nothing was recorded within `pollBoundMs`.
 */
async function cancelOnce(base: string, path: string, pollBoundMs: number): Promise<number> {
  const controller = new AbortController();
  const opened = await readSse(`${base}${path}`, { firstOnly: true, signal: controller.signal });
  if (!opened.runId) throw new Error(`no x-flow-run-id header on ${path}`);
  const abortedAt = Date.now();
  controller.abort(new Error("bench client disconnect"));
  const until = performance.now() + pollBoundMs;
  while (performance.now() < until) {
    const response = await fetch(`${base}probe/${opened.runId}`);
    const body = (await response.json()) as { found: boolean; abortedAt?: number };
    if (body.found) return body.abortedAt! - abortedAt;
    await sleep(pollBoundMs > 1_000 ? 20 : 2);
  }
  return Number.NaN;
}

async function cancelSeries(
  base: string,
  path: string,
  reps: number,
  heartbeatMs: number,
): Promise<CancelFigures> {
  // The host checks for an idle stream every heartbeatMs / 2 and sends when idle ≥ heartbeatMs: with timer and
  // clock jitter the first heartbeat after the last event can come up to 1.5 × heartbeatMs later.
  const pollBoundMs = Math.max(2_000, heartbeatMs * 1.5 + 5_000);
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) samples.push(await cancelOnce(base, path, pollBoundMs));
  return {
    heartbeatMs,
    latencyMs: spread(samples),
    missed: samples.filter((x) => !Number.isFinite(x)).length,
    pollBoundMs,
  };
}

function serve(bundle: string, dir: string): Promise<WorkerdServer> {
  return serveWithWorkerd({ bundle, dir });
}

const cell = formatSpread;

/**
 * Runs the SSE benchmark, prints a table, writes bench/results/sse.json and returns the figures. Takes about
 * two minutes: Hono's awaited stream needs seconds per 20,000 events, and an idle stream's cancel waits for the
 * default 15 s heartbeat.
 * @example await benchSse() // npm run bench
 */
export async function benchSse(print: (line: string) => void = console.log): Promise<SseBenchResult> {
  const outdir = join(ROOT, ".tmp", "bench", `sse-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  const servers: WorkerdServer[] = [];
  try {
    const scripts = await bundleWorkers(["flows-sse", "hono-sse"], outdir);
    const flowsServer = await serve(scripts["flows-sse"]!, outdir);
    servers.push(flowsServer);
    const handServer = await serve(scripts["hono-sse"]!, outdir);
    servers.push(handServer);
    const base: Record<SseTarget, string> = {
      flows: `${flowsServer.url}stream`,
      hono: `${handServer.url}stream`,
      raw: `${handServer.url}raw`,
    };
    const loadAverage = loadavg();
    for (const t of TARGETS) await validate(`${base[t]}?n=50`, t);

    // Warm-up: every path of both workers, so that workerd's and Node's JITs have seen them.
    for (let r = 0; r < 10; r++) for (const t of TARGETS) await oneStream(`${base[t]}?n=10`, 10);
    for (let r = 0; r < 3; r++) {
      await oneStream(`${base.flows}?n=${N}`, N);
      await oneStream(`${base.raw}?n=${N}`, N);
    }
    await oneStream(`${base.hono}?n=${N}`, N);
    await cancelSeries(flowsServer.url, "hang-hb20", 2, 20);

    // Time to the first event, on short streams (10 chunks), interleaved.
    const first: Record<SseTarget, number[]> = { flows: [], hono: [], raw: [] };
    const headers: Record<SseTarget, number[]> = { flows: [], hono: [], raw: [] };
    for (let r = 0; r < FIRST_EVENT_REPS; r++) {
      for (const t of TARGETS) {
        const reading = await oneStream(`${base[t]}?n=10`, 10);
        first[t].push(reading.firstEventMs);
        headers[t].push(reading.headersMs);
      }
    }

    // Throughput: one stream of N chunks at a time, interleaved.
    const readings: Record<SseTarget, StreamReading[]> = { flows: [], hono: [], raw: [] };
    const maxReps = Math.max(...Object.values(THROUGHPUT_REPS));
    for (let r = 0; r < maxReps; r++) {
      for (const t of TARGETS) {
        if (r < THROUGHPUT_REPS[t]) readings[t].push(await oneStream(`${base[t]}?n=${N}`, N));
      }
    }
    const figures = (list: StreamReading[]): StreamFigures => ({
      eventsPerSec: spread(list.map((x) => (x.events * 1_000) / x.totalMs)),
      chunksPerSec: spread(list.map((x) => (x.chunks * 1_000) / x.totalMs)),
      streamMs: spread(list.map((x) => x.totalMs)),
      firstEventMs: spread(list.map((x) => x.firstEventMs)),
      eventsPerStream: list.at(-1)!.events,
      bytesPerStream: list.at(-1)!.bytes,
      readsPerStream: spread(list.map((x) => x.reads)).median,
    });
    const throughput: Record<SseTarget, StreamFigures> = {
      flows: figures(readings.flows),
      hono: figures(readings.hono),
      raw: figures(readings.raw),
    };

    // Cancel: client disconnect → the running node's signal aborts.
    const heartbeat20 = await cancelSeries(flowsServer.url, "hang-hb20", CANCEL_REPS_FAST, 20);
    const defaultHeartbeat = await cancelSeries(
      flowsServer.url,
      "hang",
      CANCEL_REPS_DEFAULT,
      DEFAULT_HEARTBEAT_MS,
    );

    const ratio = (a: Spread, b: Spread): number => a.median / b.median;
    const ratios = {
      eventsVsHono: ratio(throughput.flows.eventsPerSec, throughput.hono.eventsPerSec),
      chunksVsHono: ratio(throughput.flows.chunksPerSec, throughput.hono.chunksPerSec),
      eventsVsRaw: ratio(throughput.flows.eventsPerSec, throughput.raw.eventsPerSec),
      chunksVsRaw: ratio(throughput.flows.chunksPerSec, throughput.raw.chunksPerSec),
    };
    const firstEventMs = { flows: spread(first.flows), hono: spread(first.hono), raw: spread(first.raw) };
    const cancelGoal = (c: CancelFigures): boolean => c.missed === 0 && c.latencyMs.max < 50;
    const goals: SseGoal[] = [
      {
        name: "first SSE event, flows (10-chunk stream)",
        goal: "< 5 ms",
        value: `${fixed(firstEventMs.flows.median, 2)} ms`,
        met: firstEventMs.flows.median < 5,
      },
      {
        name: `events/s on one stream, flows (n=${N})`,
        goal: "≥ 20,000",
        value: fixed(throughput.flows.eventsPerSec.median, 0),
        met: throughput.flows.eventsPerSec.median >= 20_000,
      },
      {
        name: "flows ÷ hand-written Hono streamSSE, chunks/s",
        goal: "≥ 0.90",
        value: fixed(ratios.chunksVsHono, 3),
        met: ratios.chunksVsHono >= 0.9,
      },
      {
        name: "flows ÷ hand-written raw ReadableStream, chunks/s",
        goal: "≥ 0.90",
        value: fixed(ratios.chunksVsRaw, 3),
        met: ratios.chunksVsRaw >= 0.9,
      },
      {
        name: `cancel latency, default heartbeat ${DEFAULT_HEARTBEAT_MS / 1_000} s (max)`,
        goal: "< 50 ms",
        value: `${fixed(defaultHeartbeat.latencyMs.max, 1)} ms${defaultHeartbeat.missed ? `, ${defaultHeartbeat.missed} never seen` : ""}`,
        met: cancelGoal(defaultHeartbeat),
      },
      {
        name: "cancel latency, heartbeat 20 ms (max)",
        goal: "< 50 ms",
        value: `${fixed(heartbeat20.latencyMs.max, 1)} ms${heartbeat20.missed ? `, ${heartbeat20.missed} never seen` : ""}`,
        met: cancelGoal(heartbeat20),
      },
    ];
    const result: SseBenchResult = {
      n: N,
      loadAverage,
      repetitions: {
        firstEvent: FIRST_EVENT_REPS,
        throughput: THROUGHPUT_REPS,
        cancel: [CANCEL_REPS_FAST, CANCEL_REPS_DEFAULT],
      },
      firstEventMs,
      headersMs: { flows: spread(headers.flows), hono: spread(headers.hono), raw: spread(headers.raw) },
      throughput,
      ratios,
      cancel: { defaultHeartbeat, heartbeat20 },
      goals,
    };

    const row = (label: string, values: string[]): void =>
      print(label.padEnd(34) + values.map((v) => v.padEnd(30)).join(""));
    print(
      `SSE on workerd serve (generated config, no Miniflare), Node fetch client on 127.0.0.1; median (min–max) after warm-up, servers interleaved; load average ${loadAverage.map((x) => x.toFixed(2)).join(" ")}`,
    );
    row("", ["flows", "hand: Hono streamSSE", "hand: raw ReadableStream"]);
    const t = throughput;
    row(
      `first event, ms (n=10, ${FIRST_EVENT_REPS}×)`,
      TARGETS.map((x) => cell(firstEventMs[x], 2)),
    );
    row(
      "  of which headers, ms",
      TARGETS.map((x) => cell(result.headersMs[x], 2)),
    );
    row(
      `events/s (n=${N}; ${TARGETS.map((x) => THROUGHPUT_REPS[x]).join("/")}×)`,
      TARGETS.map((x) => cell(t[x].eventsPerSec, 0)),
    );
    row(
      "chunks/s",
      TARGETS.map((x) => cell(t[x].chunksPerSec, 0)),
    );
    row(
      "stream time, ms",
      TARGETS.map((x) => cell(t[x].streamMs, 1)),
    );
    row(
      "first event on that stream, ms",
      TARGETS.map((x) => cell(t[x].firstEventMs, 1)),
    );
    row(
      "events / bytes / reads per stream",
      TARGETS.map((x) => `${t[x].eventsPerStream} / ${t[x].bytesPerStream} / ${t[x].readsPerStream}`),
    );
    print(
      `flows ÷ Hono streamSSE: events/s ${fixed(ratios.eventsVsHono, 3)}, chunks/s ${fixed(ratios.chunksVsHono, 3)}; flows ÷ raw ReadableStream: events/s ${fixed(ratios.eventsVsRaw, 3)}, chunks/s ${fixed(ratios.chunksVsRaw, 3)}`,
    );
    for (const c of [heartbeat20, defaultHeartbeat]) {
      print(
        `cancel latency, heartbeat ${c.heartbeatMs} ms (${c.latencyMs.samples.length}×): median ${fixed(c.latencyMs.median, 1)} ms, max ${fixed(c.latencyMs.max, 1)} ms (min ${fixed(c.latencyMs.min, 1)})${c.missed > 0 ? `, ${c.missed} not seen within ${c.pollBoundMs} ms` : ""}`,
      );
    }
    print(
      "  (local workerd notices a client disconnect only when the worker next writes to the response: an idle stream's cancel waits for the heartbeat)",
    );
    for (const g of goals) print(`${g.met ? "met   " : "MISSED"}  ${g.name}: ${g.value} (goal ${g.goal})`);

    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "sse.json"), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    for (const server of servers) await server.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchSse();
