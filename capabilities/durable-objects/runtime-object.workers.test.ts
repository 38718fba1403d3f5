import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runFlow } from "../../kernel/index.ts";
import { node, planOf, probeKind } from "../../kernel/testing/helpers.ts";
import { durableJournal, durableLedger, migrate, shardOf } from "./index.ts";
import { RUNTIME_MIGRATIONS } from "./objects.ts";

// FlowsRuntime (the runtime's own object) on the real local Durable Object: journal, ledger, expiry.

const ns = env.FLOWS_RUNTIME;
const unique = (): string => crypto.randomUUID();
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const record = (outputs: Record<string, unknown>) => ({ status: "ok" as const, outputs, at: 1, attempts: 1 });

describe("FlowsRuntime: run journal", () => {
  it("gives undefined for a step never recorded, and the record (bytes kept) once put", async () => {
    const journal = durableJournal(ns, `run:${unique()}`);
    expect(await journal.get("a#1")).toBeUndefined();
    const bytes = new Uint8Array([1, 2, 255]);
    await journal.put("a#1", record({ out: { n: 1, bytes } }));
    const got = await journal.get("a#1");
    expect(got).toMatchObject({ status: "ok", at: 1, attempts: 1 });
    const out = got?.outputs.out as { n: number; bytes: Uint8Array };
    expect(out.n).toBe(1);
    expect([...out.bytes]).toEqual([1, 2, 255]);
  });

  it("keeps runs apart, even in the same shard", async () => {
    const a = durableJournal(ns, `run:${unique()}`, { shards: 1 });
    const b = durableJournal(ns, `run:${unique()}`, { shards: 1 });
    await a.put("x#1", record({ out: "a" }));
    expect(await b.get("x#1")).toBeUndefined();
  });

  it("expires a run's steps after ttlMs, and the alarm deletes them", async () => {
    const runKey = `run:${unique()}`;
    const journal = durableJournal(ns, runKey, { ttlMs: 20, shards: 1 });
    await journal.put("x#1", record({ out: 1 }));
    await wait(30);
    expect(await journal.get("x#1")).toBeUndefined();
    const stub = ns.get(ns.idFromName(`journal:${shardOf(runKey, 1)}`));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("SELECT COUNT(*) AS n FROM journal WHERE run_key = ?", runKey).one(),
    );
    expect(rows.n).toBe(0);
  });

  it("makes a resumed run replay the effect it finished", async () => {
    const charge = probeKind("charge", { effect: "write" });
    const plan = planOf([node("pay", "charge", { inputs: { amount: 5 } })], [charge]);
    const runKey = `run:${unique()}`;
    await runFlow(plan, { journal: durableJournal(ns, runKey) });
    await runFlow(plan, { journal: durableJournal(ns, runKey) });
    expect(charge.calls).toHaveLength(1);
  });
});

describe("FlowsRuntime: idempotency ledger", () => {
  it("claims new, then pending, then done with the result; release frees a pending claim only", async () => {
    const ledger = durableLedger(ns);
    const key = `k:${unique()}`;
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "new" });
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "pending" });
    await ledger.release(key);
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "new" });
    await ledger.complete(key, { out: { id: 7 } });
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "done", result: { out: { id: 7 } } });
    await ledger.release(key);
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "done", result: { out: { id: 7 } } });
  });

  it("lets a pending claim be taken again once its lease ran out, and forgets a done key after its ttl", async () => {
    const ledger = durableLedger(ns);
    const key = `k:${unique()}`;
    expect(await ledger.claim(key, 20, 10)).toEqual({ state: "new" });
    await wait(15);
    expect(await ledger.claim(key, 20, 10)).toEqual({ state: "new" });
    await ledger.complete(key, { out: 1 });
    expect((await ledger.claim(key, 20)).state).toBe("done");
    await wait(25);
    expect(await ledger.claim(key, 20)).toEqual({ state: "new" });
  });

  it("keeps a deferred claim held for its ttl, not its lease: pending and deferred until completed", async () => {
    const ledger = durableLedger(ns);
    const key = `k:${unique()}`;
    expect(await ledger.claim(key, 60_000, 10)).toEqual({ state: "new" });
    await ledger.defer(key);
    await wait(15);
    expect(await ledger.claim(key, 60_000, 10)).toEqual({ state: "pending", deferred: true });
    await ledger.release(key);
    expect(await ledger.claim(key, 60_000, 10)).toEqual({ state: "pending", deferred: true });
    await ledger.complete(key, { out: 2 });
    expect(await ledger.claim(key, 60_000, 10)).toEqual({ state: "done", result: { out: 2 } });
    await ledger.defer(key); // a done key stays done (a consumer may finish before the producer defers)
    expect(await ledger.claim(key, 60_000, 10)).toEqual({ state: "done", result: { out: 2 } });
  });

  it("gives exactly one `new` among 40 concurrent claims of one key", async () => {
    const ledger = durableLedger(ns);
    const key = `k:${unique()}`;
    const claims = await Promise.all(Array.from({ length: 40 }, () => ledger.claim(key, 60_000)));
    expect(claims.filter((c) => c.state === "new")).toHaveLength(1);
    expect(claims.filter((c) => c.state === "pending")).toHaveLength(39);
  });

  it("records a free key done in one call, and answers as claim does for a key held or done", async () => {
    const ledger = durableLedger(ns);
    const key = `k:${unique()}`;
    expect(await ledger.record(key, 60_000, { out: 1 })).toEqual({ state: "new" });
    expect(await ledger.record(key, 60_000, { out: 2 })).toEqual({ state: "done", result: { out: 1 } });
    expect(await ledger.claim(key, 60_000)).toEqual({ state: "done", result: { out: 1 } });
    const held = `k:${unique()}`;
    await ledger.claim(held, 60_000);
    expect(await ledger.record(held, 60_000, {})).toEqual({ state: "pending" });
    await ledger.defer(held);
    expect(await ledger.record(held, 60_000, {})).toEqual({ state: "pending", deferred: true });
    // Concurrent records of one key: one `new`, the others see it done.
    const raced = `k:${unique()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ledger.record(raced, 60_000, { i })),
    );
    expect(results.filter((r) => r.state === "new")).toHaveLength(1);
    expect(results.filter((r) => r.state === "done")).toHaveLength(19);
    // A recorded key is forgotten after its ttl, like a completed one.
    const short = `k:${unique()}`;
    await ledger.record(short, 20, {});
    await wait(25);
    expect(await ledger.claim(short, 20)).toEqual({ state: "new" });
  });

  it("runs a keyed write node once across runs through the kernel hook", async () => {
    const charge = probeKind("charge", { effect: "write" });
    const plan = planOf([node("pay", "charge", { idempotencyKey: "${{ trigger.id }}" })], [charge]);
    const id = unique();
    const ledger = durableLedger(ns);
    await runFlow(plan, { ledger, trigger: { id } });
    const again = await runFlow(plan, { ledger, trigger: { id } });
    expect(again.status).toBe("ok");
    expect(charge.calls).toHaveLength(1);
  });
});

describe("FlowsRuntime: schema", () => {
  it("applies its migrations once, in the constructor, and records the version", async () => {
    const stub = ns.get(ns.idFromName(`schema:${unique()}`));
    const versions = await runInDurableObject(stub, (_instance, state) => {
      expect(migrate(state.storage, RUNTIME_MIGRATIONS)).toBe(1);
      return state.storage.sql.exec("SELECT version FROM _flows_migrations").toArray();
    });
    expect(versions).toEqual([{ version: 1 }]);
  });
});
