import { FlowsRuntime, FlowsState } from "../../capabilities/durable-objects/objects.ts";
import type {
  BudgetAnswer,
  BudgetPolicy,
  BudgetReport,
  BudgetTake,
} from "../../capabilities/github/budget/budget.ts";
import { FlowsGitHubBudget } from "../../capabilities/github/budget/object.ts";
import type { ClaimResult, StepRecord } from "../../kernel/index.ts";

/**
 * The Durable Object classes of the scale simulation (`bench/scale.ts`): the runtime's own `FlowsRuntime` (ledger
 * and journals), `FlowsState` (the routed flow's per-installation tally) and `FlowsGitHubBudget` (the shared GitHub
 * budget, one per installation), each counting the calls it receives itself, per method and per second of its
 * clock, in its own SQLite (a table the runtime does not have), so that the counts survive an eviction.
 * `benchStats()` reads them back; the counting is not counted.
 */

/** What one object received: calls per method, and per second (Unix seconds of the object's clock). */
export interface ObjectStats {
  calls: number;
  methods: Record<string, number>;
  seconds: [second: number, calls: number][];
}

const COUNTS = `CREATE TABLE IF NOT EXISTS bench_calls (
  second INTEGER NOT NULL, method TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (second, method))`;

function count(storage: DurableObjectStorage, method: string): void {
  storage.sql.exec(
    "INSERT INTO bench_calls (second, method, n) VALUES (?, ?, 1) ON CONFLICT (second, method) DO UPDATE SET n = n + 1",
    Math.floor(Date.now() / 1000),
    method,
  );
}

function stats(storage: DurableObjectStorage): ObjectStats {
  const rows = storage.sql
    .exec<{ second: number; method: string; n: number }>("SELECT second, method, n FROM bench_calls")
    .toArray();
  const methods: Record<string, number> = {};
  const seconds = new Map<number, number>();
  let calls = 0;
  for (const row of rows) {
    calls += row.n;
    methods[row.method] = (methods[row.method] ?? 0) + row.n;
    seconds.set(row.second, (seconds.get(row.second) ?? 0) + row.n);
  }
  return { calls, methods, seconds: [...seconds].sort((a, b) => a[0] - b[0]) };
}

/** FlowsRuntime that counts its calls. */
export class CountingRuntime extends FlowsRuntime {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.storage.sql.exec(COUNTS);
  }

  override journalGet(runKey: string, stepKey: string): StepRecord | null {
    count(this.ctx.storage, "journalGet");
    return super.journalGet(runKey, stepKey);
  }

  override journalPut(runKey: string, stepKey: string, record: StepRecord, ttlMs?: number): Promise<void> {
    count(this.ctx.storage, "journalPut");
    return super.journalPut(runKey, stepKey, record, ttlMs);
  }

  override claim(key: string, ttlMs: number, leaseMs?: number): Promise<ClaimResult> {
    count(this.ctx.storage, "claim");
    return super.claim(key, ttlMs, leaseMs);
  }

  override record(key: string, ttlMs: number, result: Record<string, unknown>): Promise<ClaimResult> {
    count(this.ctx.storage, "record");
    return super.record(key, ttlMs, result);
  }

  override complete(key: string, result: Record<string, unknown>): Promise<void> {
    count(this.ctx.storage, "complete");
    return super.complete(key, result);
  }

  override defer(key: string): Promise<void> {
    count(this.ctx.storage, "defer");
    return super.defer(key);
  }

  override release(key: string): void {
    count(this.ctx.storage, "release");
    super.release(key);
  }

  benchStats(): ObjectStats {
    return stats(this.ctx.storage);
  }
}

/**
 * FlowsState that counts its writes and lists what it holds (the tally: delivery id → times applied). `get` is not
 * counted: `increment` calls it on itself.
 */
export class CountingState extends FlowsState {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.storage.sql.exec(COUNTS);
  }

  override put(key: string, value: unknown, opKey?: string): Promise<true> {
    count(this.ctx.storage, "put");
    return super.put(key, value, opKey);
  }

  override delete(key: string, opKey?: string): Promise<boolean> {
    count(this.ctx.storage, "delete");
    return super.delete(key, opKey);
  }

  override increment(key: string, by?: number, opKey?: string): Promise<number> {
    count(this.ctx.storage, "increment");
    return super.increment(key, by, opKey);
  }

  benchStats(): ObjectStats {
    return stats(this.ctx.storage);
  }

  /** Every key and its value (a delivery id and how many times its flow counted it). */
  tallies(): [key: string, value: number][] {
    return this.ctx.storage.sql
      .exec<{ key: string; value: string }>("SELECT key, value FROM state")
      .toArray()
      .map((row) => [row.key, Number(JSON.parse(row.value))]);
  }
}

/**
 * FlowsGitHubBudget that counts what it answers: `permit` (a take granted), `refusal` (a take refused) and
 * `report` (a node's last call's headers, sent on their own).
 */
export class CountingBudget extends FlowsGitHubBudget {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.storage.sql.exec(COUNTS);
  }

  override take(take: BudgetTake): BudgetAnswer {
    const answer = super.take(take);
    count(this.ctx.storage, answer.ok ? "permit" : "refusal");
    return answer;
  }

  override report(policy: BudgetPolicy, reports: readonly BudgetReport[]): void {
    count(this.ctx.storage, "report");
    super.report(policy, reports);
  }

  benchStats(): ObjectStats {
    return stats(this.ctx.storage);
  }
}
