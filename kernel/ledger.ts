import { FlowError } from "./errors.ts";
import { StepFailed, type StepSuccess, streamPorts } from "./step.ts";

/**
 * The idempotency ledger: remembers, per idempotency key, that an effect is being applied (`pending`) or was
 * applied (`done`, with its outputs), so that a repeated request, a re-delivered message or a second run
 * with the same key does not apply the effect again. The kernel consults it around every effectful
 * (`write` / `external`) node that declares an `idempotencyKey`, under the key `flowId:nodeId:key`.
 * A Durable Object provides the durable ledger (`capabilities/durable-objects`); `MemoryLedger` serves tests.
 */

/** What `claim` found: the key is now ours, already done (with the recorded outputs), or held by another run. */
export type ClaimResult =
  | { state: "new" }
  | { state: "done"; result: Record<string, unknown> }
  | {
      state: "pending";
      /** Set when the holder handed the effect off to later work (`defer` of the durable ledger): a queue message. */
      deferred?: true;
    };

export interface IdempotencyLedger {
  /**
   * Claims `key`: `new` (now held by the caller for `leaseMs`, default `ttlMs`), `done` (completed within
   * the last `ttlMs`) or `pending` (held by someone else whose lease has not run out). Atomic per key.
   */
  claim(key: string, ttlMs: number, leaseMs?: number): Promise<ClaimResult> | ClaimResult;
  /** Marks a claimed key done with the effect's outputs (JSON values), kept for the claim's `ttlMs`. */
  complete(key: string, result: Record<string, unknown>): Promise<void> | void;
  /** Gives a claimed key up (the effect failed): the next claim gets `new`. */
  release(key: string): Promise<void> | void;
}

/** How long a completed key is remembered by default: 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

interface MemoryEntry {
  state: "pending" | "done";
  result?: Record<string, unknown>;
  expiresAt: number;
  ttlMs: number;
}

/**
 * A ledger in memory, for tests and single-process hosts. Time comes from `now` (injected clock).
 * @example const ledger = new MemoryLedger(); await runFlow(plan, { ledger })
 */
export class MemoryLedger implements IdempotencyLedger {
  readonly entries: Map<string, MemoryEntry> = new Map();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  claim(key: string, ttlMs: number, leaseMs: number = ttlMs): ClaimResult {
    const now = this.#now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      if (entry.state === "done") return { state: "done", result: structuredClone(entry.result ?? {}) };
      return { state: "pending" };
    }
    this.entries.set(key, { state: "pending", expiresAt: now + leaseMs, ttlMs });
    return { state: "new" };
  }

  complete(key: string, result: Record<string, unknown>): void {
    const ttlMs = this.entries.get(key)?.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    const expiresAt = this.#now() + ttlMs;
    this.entries.set(key, { state: "done", result: structuredClone(result), expiresAt, ttlMs });
  }

  release(key: string): void {
    if (this.entries.get(key)?.state === "pending") this.entries.delete(key);
  }
}

/** Where the kernel's ledger hook gets its settings. */
export interface LedgerUse {
  ledger: IdempotencyLedger;
  /** `flowId:nodeId:idempotencyKey`. */
  key: string;
  ttlMs: number;
  leaseMs: number;
  /** Called when `complete` fails after the effect succeeded (the run goes on; the claim expires). */
  onCompleteFailed(error: unknown): void;
}

/**
 * Runs an effectful step under the ledger: `done` → the recorded outputs, without running it (replayed);
 * `pending` → IDEMPOTENCY_PENDING (retriable: a queue message is retried later); `new` → run, then
 * `complete` with its outputs (stream ports are left out), or `release` when it fails.
 */
export async function withLedger(use: LedgerUse, run: () => Promise<StepSuccess>): Promise<StepSuccess> {
  let claim: ClaimResult;
  try {
    claim = await use.ledger.claim(use.key, use.ttlMs, use.leaseMs);
  } catch (error) {
    throw new StepFailed(ledgerFailed(use.key, error), 0);
  }
  if (claim.state === "done") return { outputs: claim.result, attempts: 0, ctx: undefined, replayed: true };
  if (claim.state === "pending") {
    throw new StepFailed(
      new FlowError(
        "IDEMPOTENCY_PENDING",
        `idempotency key \`${use.key}\` is held by another run that has not finished; retry later`,
        { details: { key: use.key } },
      ),
      0,
    );
  }
  let success: StepSuccess;
  try {
    success = await run();
  } catch (error) {
    try {
      await use.ledger.release(use.key);
    } catch {
      // The claim runs out after its lease anyway.
    }
    throw error;
  }
  try {
    await use.ledger.complete(use.key, recordable(success.outputs));
  } catch (error) {
    use.onCompleteFailed(error);
  }
  return success;
}

function recordable(outputs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const streams = streamPorts(outputs);
  if (!streams) return outputs as Record<string, unknown>;
  return Object.fromEntries(Object.entries(outputs).filter(([port]) => !streams.includes(port)));
}

function ledgerFailed(key: string, cause: unknown): FlowError {
  return new FlowError("IDEMPOTENCY_FAILED", `could not claim idempotency key \`${key}\` in the ledger`, {
    details: { key },
    cause,
  });
}
