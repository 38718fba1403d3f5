import type { EventHub } from "./events.ts";
import type { RunJournal } from "./journal.ts";
import type { Logger } from "./kinds/types.ts";
import type { IdempotencyLedger } from "./ledger.ts";
import type { MemoTable } from "./memo.ts";
import type { ExecutionPlan } from "./plan.ts";
import type { Clock, Timers } from "./time.ts";

/** Everything a run needs, resolved (`RunOptions` in executor.ts is the public view). */
export interface RunConfig {
  readonly runId: string;
  readonly trigger: unknown;
  readonly env: Readonly<Record<string, unknown>>;
  readonly vars: Readonly<Record<string, unknown>> | undefined;
  /** The caller's signal; a subflow run gets its calling node's. */
  readonly signal: AbortSignal | undefined;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly fetch: typeof fetch;
  readonly journal: RunJournal | undefined;
  readonly ledger: IdempotencyLedger | undefined;
  readonly ledgerTtlMs: number;
  readonly random: () => number;
  readonly graceMs: number;
  /** RunOptions.waitUntil (subflow runs share it). */
  readonly waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  readonly deadlineMs: number | undefined;
  readonly subflows: ((flowId: string) => ExecutionPlan | undefined) | undefined;
  /** Shared by a run and its subflow runs. */
  readonly memo: MemoTable;
  /** Undefined when nobody listens: then no event object is ever built. */
  readonly hub: EventHub | undefined;
  /** `call#1/` inside a subflow, so that step keys stay unique. */
  readonly keyPrefix: string;
  readonly depth: number;
  readonly onOutput: ((value: unknown) => void) | undefined;
  /** See RunOptions.logsRunFailure. */
  readonly logsRunFailure: boolean;
}
