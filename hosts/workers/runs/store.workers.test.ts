import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardOf } from "../../../capabilities/durable-objects/shards.ts";
import { indexObjectName, indexShards, runObjectName } from "./declaration.ts";
import type { FlowsRuns } from "./object.ts";
import type { RunRecord, StoredEvent } from "./record.ts";
import { decodeCursor, RunStore } from "./store.ts";

// The run store on the real local Durable Object (FlowsRuns): records, event logs appended and read after an id,
// a flow's index listed across its shards with a stable cursor, maxRuns, and retention by an injected clock.

const ns = env.FLOWS_RUNS;
const unique = (): string => crypto.randomUUID();
const DAY = 86_400_000;

/** A record as the host writes it; each test uses flows of its own. */
function recordOf(flowId: string, startedAt: number, fields: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: unique(),
    flowId,
    flowVersion: "1.0.0",
    trigger: { type: "http", id: "http" },
    status: "ok",
    startedAt,
    endedAt: startedAt + 5,
    durationMs: 5,
    nodes: { a: { status: "ok", startedAt, endedAt: startedAt + 5, durationMs: 5, attempts: 1 } },
    events: { count: 0, stored: 0, lastId: 0 },
    expiresAt: Date.now() + DAY,
    ...fields,
  };
}

const frames = (from: number, to: number): StoredEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    id: from + i,
    type: "node.chunk",
    data: JSON.stringify({ seq: from + i }),
  }));

/** An injected clock the test moves. */
function manualClock(start: number) {
  const clock = { at: start, now: () => clock.at };
  return clock;
}

const stubOf = (name: string) => ns.get(ns.idFromName(name));

describe("FlowsRuns: a run's record and event log", () => {
  it("stores a record and its events, and gives them back; an unknown run is null and stays unwritten", async () => {
    const store = new RunStore(ns);
    const record = recordOf(`f-${unique()}`, Date.now(), { events: { count: 3, stored: 3, lastId: 3 } });
    await store.save(record, frames(1, 3), 1000);
    expect(await store.get(record.runId)).toEqual(record);
    expect(await store.events(record.runId)).toEqual(frames(1, 3));
    const unknown = unique();
    expect(await store.get(unknown)).toBeNull();
    expect(await store.events(unknown)).toEqual([]);
    // Reading never creates storage.
    const stats = await runInDurableObject(stubOf(runObjectName(unknown)), (instance: FlowsRuns) =>
      instance.stats(),
    );
    expect(stats).toEqual({ run: 0, events: 0, entries: 0 });
  });

  it("appends events while the run goes on, ignores ids already stored, and reads after an id, in pages", async () => {
    const store = new RunStore(ns);
    const record = recordOf(`f-${unique()}`, Date.now());
    await store.save(record, frames(1, 5), 1000);
    const stub = store.run(record.runId);
    await stub.appendEvents([...frames(4, 9), { id: 2, type: "changed", data: "{}" }]);
    expect((await store.events(record.runId)).map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await store.events(record.runId)).find((e) => e.id === 2)?.type).toBe("node.chunk");
    expect((await store.events(record.runId, 5)).map((e) => e.id)).toEqual([6, 7, 8, 9]);
    expect((await store.events(record.runId, 2, 3)).map((e) => e.id)).toEqual([3, 4, 5]);
    expect(await store.events(record.runId, 9)).toEqual([]);
    // Saving the record again (the run went on) keeps the events and replaces the record.
    await stub.saveRun({ ...record, status: "failed" }, frames(10, 10));
    expect((await store.get(record.runId))?.status).toBe("failed");
    expect((await store.events(record.runId, 8)).map((e) => e.id)).toEqual([9, 10]);
  });
});

describe("FlowsRuns: a flow's index across shards", () => {
  it("lists a flow's runs newest first across its 16 shards, in pages whose cursor is stable", async () => {
    const flowId = `f-${unique()}`;
    const store = new RunStore(ns);
    const base = Date.now();
    // 40 runs, two of them started at the same millisecond (ordered by run id).
    const records = Array.from({ length: 40 }, (_, i) => recordOf(flowId, base + (i === 39 ? 38 : i) * 10));
    for (const record of records) await store.save(record, [], 1000);
    const shardsUsed = new Set(records.map((r) => shardOf(r.runId, indexShards(1000))));
    expect(shardsUsed.size).toBeGreaterThan(4);

    const expected = [...records]
      .sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : -1))
      .map((r) => r.runId);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(flowId, { limit: 7, ...(cursor ? { cursor } : {}) }, 1000);
      seen.push(...page.runs.map((r) => r.runId));
      if (pages === 0) {
        // A run recorded after the first page is newer: it never shows up in a later page.
        await store.save(recordOf(flowId, base + 10_000), [], 1000);
        expect(page.runs[0]).toEqual({
          runId: expected[0],
          flowId,
          flowVersion: "1.0.0",
          trigger: { type: "http", id: "http" },
          status: "ok",
          startedAt: records[38]!.startedAt,
          endedAt: records[38]!.endedAt,
          expiresAt: records[38]!.expiresAt,
        });
      }
      cursor = page.cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(pages).toBe(6);
    expect(decodeCursor("not a cursor")).toBeUndefined();
  });

  it("filters by status", async () => {
    const flowId = `f-${unique()}`;
    const store = new RunStore(ns);
    const now = Date.now();
    const failed = recordOf(flowId, now + 1, { status: "failed" });
    await store.save(recordOf(flowId, now), [], 1000);
    await store.save(failed, [], 1000);
    await store.save(recordOf(flowId, now + 2, { status: "cancelled" }), [], 1000);
    const page = await store.list(flowId, { limit: 10, status: "failed" }, 1000);
    expect(page.runs.map((r) => r.runId)).toEqual([failed.runId]);
    expect(page.cursor).toBeNull();
    expect((await store.list(flowId, { limit: 10 }, 1000)).runs).toHaveLength(3);
  });

  it("keeps at most maxRuns: the oldest runs leave the index and their objects are deleted", async () => {
    const flowId = `f-${unique()}`;
    const store = new RunStore(ns);
    const now = Date.now();
    const records = Array.from({ length: 4 }, (_, i) => recordOf(flowId, now + i));
    for (const record of records) await store.save(record, frames(1, 2), 1);
    const page = await store.list(flowId, { limit: 10 }, 1);
    expect(page.runs.map((r) => r.runId)).toEqual([records[3]!.runId]);
    for (const old of records.slice(0, 3)) {
      expect(await store.get(old.runId)).toBeNull();
      expect(await store.events(old.runId)).toEqual([]);
    }
    expect(await store.get(records[3]!.runId)).not.toBeNull();
  });

  it("never drops a run going on (a durable run waiting) for maxRuns: only ended runs count", async () => {
    const flowId = `f-${unique()}`;
    const store = new RunStore(ns);
    const now = Date.now();
    const waiting = recordOf(flowId, now, { status: "running", durable: true });
    await store.save(waiting, [], 1);
    const ended = Array.from({ length: 3 }, (_, i) => recordOf(flowId, now + 1 + i));
    for (const record of ended) await store.save(record, [], 1);
    const page = await store.list(flowId, { limit: 10 }, 1);
    expect(page.runs.map((r) => r.runId)).toEqual([ended[2]!.runId, waiting.runId]);
    expect(await store.get(waiting.runId)).toMatchObject({ status: "running" });
  });
});

describe("FlowsRuns: retention", () => {
  it("hides a run past its expiry and deletes it at the sweep, by an injected clock", async () => {
    const clock = manualClock(1_000_000);
    const store = new RunStore(ns, { clock });
    const flowId = `f-${unique()}`;
    const record = recordOf(flowId, clock.at, { expiresAt: clock.at + 7 * DAY });
    await store.save(record, frames(1, 2), 1000);
    clock.at += 7 * DAY - 1;
    expect(await store.get(record.runId)).toEqual(record);
    expect((await store.list(flowId, { limit: 5 }, 1000)).runs).toHaveLength(1);
    clock.at += 1;
    expect(await store.get(record.runId)).toBeNull();
    expect(await store.events(record.runId)).toEqual([]);
    expect((await store.list(flowId, { limit: 5 }, 1000)).runs).toEqual([]);

    // The sweeps (what the alarms run): the run object deletes itself, the shard drops the line.
    const runStub = stubOf(runObjectName(record.runId));
    const early = await runInDurableObject(runStub, (o: FlowsRuns) => o.sweep(clock.at - 1));
    expect(early).toEqual({ deleted: false, entries: 0 });
    expect(await runInDurableObject(runStub, (o: FlowsRuns) => o.sweep(clock.at))).toEqual({
      deleted: true,
      entries: 0,
    });
    const after = await runInDurableObject(runStub, async (o: FlowsRuns, state) => ({
      stats: o.stats(),
      alarm: await state.storage.getAlarm(),
      tables: state.storage.sql.exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").one().n,
    }));
    expect(after).toEqual({ stats: { run: 0, events: 0, entries: 0 }, alarm: null, tables: 0 });
    const shard = stubOf(indexObjectName(flowId, shardOf(record.runId, indexShards(1000))));
    expect(await runInDurableObject(shard, (o: FlowsRuns) => o.sweep(clock.at))).toEqual({
      deleted: false,
      entries: 1,
    });
    expect(await runInDurableObject(shard, (o: FlowsRuns) => o.stats().entries)).toBe(0);
  });

  it("arms the alarm at the run's expiry; the alarm deletes the run and the shard's expired lines", async () => {
    const store = new RunStore(ns);
    const flowId = `f-${unique()}`;
    const record = recordOf(flowId, Date.now(), { expiresAt: Date.now() + 60_000 });
    await store.save(record, frames(1, 1), 1000);
    const runStub = stubOf(runObjectName(record.runId));
    const shard = stubOf(indexObjectName(flowId, shardOf(record.runId, indexShards(1000))));
    for (const stub of [runStub, shard])
      expect(await runInDurableObject(stub, (_o, state) => state.storage.getAlarm())).toBe(record.expiresAt);
    // Time passes (the stored expiry moves into the past), then each alarm runs.
    const past = Date.now() - 1;
    await runInDurableObject(runStub, (_o, state) => {
      state.storage.sql.exec("UPDATE run SET expires_at = ?", past);
    });
    await runInDurableObject(shard, (_o, state) => {
      state.storage.sql.exec("UPDATE entries SET expires_at = ?", past);
    });
    expect(await runDurableObjectAlarm(runStub)).toBe(true);
    expect(await runInDurableObject(runStub, (o: FlowsRuns) => o.stats())).toEqual({
      run: 0,
      events: 0,
      entries: 0,
    });
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect(await runInDurableObject(shard, (o: FlowsRuns) => o.stats().entries)).toBe(0);
    // An empty shard leaves its alarm off.
    expect(await runInDurableObject(shard, (_o, state) => state.storage.getAlarm())).toBeNull();
  });
});
