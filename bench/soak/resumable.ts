import { rmSync } from "node:fs";
import { shardOf } from "../../capabilities/durable-objects/shards.ts";
import { parseSse } from "../../cli/runs/tail.ts";
import { INDEX_SHARDS } from "../../hosts/workers/runs/declaration.ts";
import { serveContinuingFixture } from "../../test/continuing-fixture.ts";
import { cpuMs, durableObjectDir, rssMiB, type WorkerdServer } from "../workerd.ts";
import type { SoakSection } from "./run.ts";

/**
 * Resumable streams (impl-docs/runs.md#runs-that-outlive-their-connection): STREAMS concurrent clients, each
 * following one `onDisconnect: continue` run of SECONDS (the fixture `hosts/workers/fixtures/continuing`, a node
 * that yields a chunk every 200 ms), on `workerd serve` (no proxy). Half of the clients drop their connection at
 * random points (one to three times), wait up to a second, and reconnect to the route with `Last-Event-ID` as an
 * EventSource does. Properties: every client saw every event id of its run exactly once (0 lost, 0 duplicated)
 * and the final `end` frame; every run is recorded `ok`. Figures: events, reconnects, how the store's load was
 * spread (one object per run; each flow's index lines over its shards), workerd's CPU and memory.
 */

const STREAMS = 100;
const SECONDS = Number(process.env.SOAK_RESUMABLE_SECONDS ?? 32);
const TICK_MS = 200;
const TOKEN = "soak-resumable-token-0123456789ab";

interface Client {
  runId: string;
  ids: number[];
  reconnects: number;
  ended: boolean;
  errors: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One client: opens the route, optionally drops at `cuts` (ms from its start), resumes each time. */
async function follow(base: string, steps: number, cuts: number[]): Promise<Client> {
  const client: Client = { runId: "", ids: [], reconnects: 0, ended: false, errors: [] };
  const started = performance.now();
  let last: string | undefined;
  const pending = [...cuts];
  for (let attempt = 0; attempt < 20 && !client.ended; attempt++) {
    const controller = new AbortController();
    const cutAt = pending.shift();
    // A client cut before its first event has no id to resume with (it would start another run, as an
    // EventSource would): a cut due before then waits for the first event.
    let cutDue = false;
    const timer =
      cutAt === undefined
        ? undefined
        : setTimeout(
            () => {
              if (last === undefined) cutDue = true;
              else controller.abort();
            },
            Math.max(0, cutAt - (performance.now() - started)),
          );
    try {
      const response = await fetch(`${base}report?steps=${steps}&ms=${TICK_MS}`, {
        headers: last ? { "last-event-id": last } : {},
        signal: controller.signal,
      });
      if (response.status === 204) {
        client.ended = true; // ended with nothing after `last`: cannot be, since the end frame ends the loop
        break;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
      client.runId ||= response.headers.get("x-flow-run-id") ?? "";
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const frame of parsed.frames) {
          last = frame.id;
          client.ids.push(Number(frame.id.split(":")[1]));
          if (frame.event === "end" || frame.event === "error") client.ended = frame.event === "end";
        }
        if (cutDue && !client.ended) controller.abort();
        if (client.ended) break;
      }
    } catch (error) {
      if (!controller.signal.aborted) client.errors.push(String(error));
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (!client.ended) {
      client.reconnects++;
      await sleep(Math.random() * 1_000);
    }
  }
  return client;
}

async function run(print: (line: string) => void): Promise<boolean> {
  const dir = durableObjectDir("resumable");
  let server: WorkerdServer | undefined;
  try {
    server = await serveContinuingFixture(dir, TOKEN, { cpus: "0" });
    const base = server.url;
    const steps = Math.ceil((SECONDS * 1_000) / TICK_MS);
    const cpuStart = cpuMs(server.pid);
    const rssStart = rssMiB(server.pid);
    let rssMax = rssStart;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, rssMiB(server!.pid));
    }, 500);
    const startedAt = performance.now();
    const clients = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) => {
        // Every other client drops its connection 1-3 times at random points of its run.
        const cuts =
          i % 2 === 1
            ? Array.from(
                { length: 1 + Math.floor(Math.random() * 3) },
                () => Math.random() * SECONDS * 900,
              ).sort((a, b) => a - b)
            : [];
        return follow(base, steps, cuts);
      }),
    );
    const wallS = (performance.now() - startedAt) / 1_000;
    clearInterval(sampler);
    const cpu = cpuMs(server.pid) - cpuStart;

    let lost = 0;
    let duplicated = 0;
    let events = 0;
    for (const client of clients) {
      const seen = new Set<number>();
      for (const id of client.ids) {
        if (seen.has(id)) duplicated++;
        seen.add(id);
      }
      events += client.ids.length;
      const max = Math.max(0, ...client.ids);
      for (let id = 1; id <= max; id++) if (!seen.has(id)) lost++;
    }
    const ended = clients.filter((c) => c.ended).length;
    const reconnecting = clients.filter((c) => c.reconnects > 0);
    const reconnects = clients.reduce((n, c) => n + c.reconnects, 0);
    const errors = clients.flatMap((c) => c.errors);

    // Every run recorded ok (the object writes its record, then the index line).
    await sleep(1_000);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const statuses: Record<string, number> = {};
    for (const client of clients) {
      const record = (await (
        await fetch(`${base}_flows/runs/${client.runId}`, { headers: auth })
      ).json()) as {
        status?: string;
      };
      const status = record.status ?? "missing";
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page = (await (
        await fetch(`${base}_flows/runs?flow=report&limit=200${cursor ? `&cursor=${cursor}` : ""}`, {
          headers: auth,
        })
      ).json()) as { runs: unknown[]; cursor: string | null };
      listed += page.runs.length;
      cursor = page.cursor;
    } while (cursor);
    const perShard = new Array<number>(INDEX_SHARDS).fill(0);
    for (const client of clients) perShard[shardOf(client.runId, INDEX_SHARDS)]!++;

    print(
      `${STREAMS} streams of ${steps} chunks (${TICK_MS} ms apart, ${SECONDS} s), ${reconnecting.length} clients dropped their connection ${reconnects} times in all; wall ${wallS.toFixed(1)} s`,
    );
    print(
      `events received: ${events}; lost: ${lost}; duplicated: ${duplicated}; runs ended (end frame): ${ended}/${STREAMS}`,
    );
    print(`run records: ${JSON.stringify(statuses)}; listed in the flow's index: ${listed}`);
    print(
      `store load: ${new Set(clients.map((c) => c.runId)).size} run objects (one per run: each holds ${Math.round(events / STREAMS)} event rows on average, its own writer); index lines per shard (16 shards of flow report): ${perShard.join(" ")} (min ${Math.min(...perShard)}, max ${Math.max(...perShard)})`,
    );
    print(
      `workerd (one process: Worker + objects, pinned to cpu 0${server.pinned ? "" : ": not pinned, taskset missing"}): ${Math.round(cpu)} ms CPU over ${wallS.toFixed(1)} s (${((cpu / (wallS * 1_000)) * 100).toFixed(0)}% of a core); RSS ${rssStart.toFixed(0)} → max ${rssMax.toFixed(0)} MiB`,
    );
    if (errors.length > 0) print(`client errors (${errors.length}): ${errors.slice(0, 3).join(" | ")}`);
    return (
      lost === 0 &&
      duplicated === 0 &&
      ended === STREAMS &&
      statuses.ok === STREAMS &&
      listed === STREAMS &&
      errors.length === 0
    );
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const resumableSection: SoakSection = { name: "resumable streams", run };
