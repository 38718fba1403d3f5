import type { ClaimResult, IdempotencyLedger, RunJournal, StepRecord } from "../../kernel/index.ts";
import {
  DEFAULT_SHARDS,
  journalObjectName,
  ledgerObjectName,
  type RuntimeSharding,
  shardOf,
} from "./shards.ts";

/**
 * Kernel adapters over the `FlowsRuntime` object: a run journal and an idempotency ledger. Keys are spread
 * over shards by a hash (`shards.ts`), so each object stays small and one hot key does not hold up the others.
 * Plain RPC calls: no import of `cloudflare:workers`, so this file loads anywhere.
 */

export { DEFAULT_SHARDS, shardOf };

/** The RPC surface of FlowsRuntime that the adapters use (a DurableObjectNamespace<FlowsRuntime> fits). */
export interface RuntimeStub {
  journalGet(runKey: string, stepKey: string): Promise<StepRecord | null>;
  journalPut(runKey: string, stepKey: string, record: StepRecord, ttlMs?: number): Promise<void>;
  claim(key: string, ttlMs: number, leaseMs?: number): Promise<ClaimResult>;
  complete(key: string, result: Record<string, unknown>): Promise<void>;
  record(key: string, ttlMs: number, result: Record<string, unknown>): Promise<ClaimResult>;
  release(key: string): Promise<void>;
  defer(key: string): Promise<void>;
}

/** What the adapters need of a Durable Object namespace. */
export interface RuntimeNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): unknown;
}

const stubFor = (namespace: RuntimeNamespace, name: string): RuntimeStub =>
  namespace.get(namespace.idFromName(name)) as RuntimeStub;

export interface ShardingOptions {
  /** How names are formed (`runtimeSharding(env)`); `DEFAULT_SHARDS` by `shardOf` when absent. */
  sharding?: RuntimeSharding;
  /** A shard count, when `sharding` is absent (tests). */
  shards?: number;
}

const shardingOf = (options: ShardingOptions): RuntimeSharding =>
  options.sharding ?? { count: options.shards ?? DEFAULT_SHARDS };

export interface JournalOptions extends ShardingOptions {
  /** How long a run's steps are kept after its last write; 7 days by default. */
  ttlMs?: number;
}

/**
 * The run journal of one run (`runKey`, e.g. `queue:jobs:<message id>`), stored in FlowsRuntime: a run with
 * the same key replays the steps recorded before.
 * @example runFlow(plan, { journal: durableJournal(env.FLOWS_RUNTIME, `queue:${message.id}`) })
 */
export function durableJournal(
  namespace: RuntimeNamespace,
  runKey: string,
  options: JournalOptions = {},
): RunJournal {
  const stub = stubFor(namespace, journalObjectName(runKey, shardingOf(options)));
  return {
    get: async (stepKey) => (await stub.journalGet(runKey, stepKey)) ?? undefined,
    put: (stepKey, record) => stub.journalPut(runKey, stepKey, record, options.ttlMs),
  };
}

/**
 * The ledger in FlowsRuntime: the kernel's operations, plus `defer` (hand a claim off to a queue message) and
 * `record` (claim and complete in one call, for work with no effect to apply once).
 */
export interface DurableLedger extends IdempotencyLedger {
  defer(key: string): Promise<void>;
  record(key: string, ttlMs: number, result: Record<string, unknown>): Promise<ClaimResult>;
}

/**
 * The idempotency ledger in FlowsRuntime: each key lives in the object of its shard
 * (`ledger:<n>`), where claims are atomic.
 * @example runFlow(plan, { ledger: durableLedger(env.FLOWS_RUNTIME, { sharding: runtimeSharding(env) }) })
 */
export function durableLedger(namespace: RuntimeNamespace, options: ShardingOptions = {}): DurableLedger {
  const sharding = shardingOf(options);
  const stub = (key: string): RuntimeStub => stubFor(namespace, ledgerObjectName(key, sharding));
  return {
    claim: (key, ttlMs, leaseMs) => stub(key).claim(key, ttlMs, leaseMs),
    complete: (key, result) => stub(key).complete(key, result),
    release: (key) => stub(key).release(key),
    defer: (key) => stub(key).defer(key),
    record: (key, ttlMs, result) => stub(key).record(key, ttlMs, result),
  };
}

/** True when `value` looks like a Durable Object namespace (the binding exists and is one). */
export function isNamespace(value: unknown): value is RuntimeNamespace {
  const v = value as Partial<RuntimeNamespace> | null | undefined;
  return typeof v?.idFromName === "function" && typeof v.get === "function";
}
