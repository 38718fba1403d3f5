/**
 * The run journal: where a host persists completed steps so that a resumed run does not repeat finished
 * effects. The kernel consults it before every journaled step (effectful or nondeterministic work) and
 * records the step's outputs once it succeeds. A Durable Object provides the durable store; `MemoryJournal`
 * serves tests and single-process hosts.
 */

/** A completed step: its outputs by port (JSON values), when and after how many attempts it finished. */
export interface StepRecord {
  status: "ok";
  outputs: Record<string, unknown>;
  at: number;
  attempts: number;
}

/** Keyed by `stepKey` (see `stepKey()`); both methods may be async. Errors fail the run (JOURNAL_FAILED). */
export interface RunJournal {
  get(stepKey: string): Promise<StepRecord | undefined> | StepRecord | undefined;
  put(stepKey: string, record: StepRecord): Promise<void> | void;
}

/**
 * The deterministic key of one step: the node's path (its id, prefixed by enclosing subflow calls, e.g.
 * `call#1/child#1/fetch`) and its occurrence (1 for a graph node; item index + 1 for a map template).
 * @example stepKey("fetch", 1) // "fetch#1"
 */
export function stepKey(path: string, occurrence: number): string {
  return `${path}#${occurrence}`;
}

/**
 * A journal in memory (one per run, or shared to simulate a resume). Records are copied with structuredClone
 * on the way in and out, as a real store would.
 * @example const journal = new MemoryJournal(); await runFlow(plan, { journal })
 */
export class MemoryJournal implements RunJournal {
  readonly records: Map<string, StepRecord> = new Map();

  get(key: string): StepRecord | undefined {
    const record = this.records.get(key);
    return record && structuredClone(record);
  }

  put(key: string, record: StepRecord): void {
    this.records.set(key, structuredClone(record));
  }
}
