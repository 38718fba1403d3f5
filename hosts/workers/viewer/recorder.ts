import type { RunEvent } from "../../../kernel/index.ts";

/** Bounds of what the recorder keeps in an isolate's memory. */
export const RECORDER_LIMITS = Object.freeze({ runs: 50, eventsPerRun: 2_000 });

interface RecordedRun {
  readonly runId: string;
  readonly flowId: string;
  readonly events: RunEvent[];
  /** Events past `eventsPerRun` that were not kept (chunks first: see `record`). */
  dropped: number;
  ended: boolean;
  readonly listeners: Set<(event: RunEvent | undefined) => void>;
}

/**
 * The recent runs of one isolate, for the run viewer: each run's events (bounded), replayed to a follower that
 * connects late and then passed on live. Only runs started through `record` are kept: the viewer's own runs,
 * and every run when the host is told to (`viewer: { recordAll: true }`, for local development).
 * @example const onEvent = recorder.record(runId, flowId); runFlow(plan, { runId, onEvent })
 */
export class RunRecorder {
  readonly #runs = new Map<string, RecordedRun>();

  /** Starts keeping a run; returns the `onEvent` to give the kernel. */
  record(runId: string, flowId: string): (event: RunEvent) => void {
    const run: RecordedRun = { runId, flowId, events: [], dropped: 0, ended: false, listeners: new Set() };
    this.#runs.set(runId, run);
    while (this.#runs.size > RECORDER_LIMITS.runs) {
      const oldest = this.#runs.keys().next().value as string;
      this.#end(this.#runs.get(oldest)!);
      this.#runs.delete(oldest);
    }
    return (event) => {
      // Past the bound, chunks and outputs go first (the picture needs starts, ends and errors); the rest is
      // kept up to twice the bound, and the run's end always.
      const kept = run.events.length;
      const bulky = event.type === "node.chunk" || event.type === "node.output";
      if (
        event.type === "run.end" ||
        kept < RECORDER_LIMITS.eventsPerRun ||
        (!bulky && kept < 2 * RECORDER_LIMITS.eventsPerRun)
      )
        run.events.push(event);
      else run.dropped++;
      for (const listener of run.listeners) listener(event);
      if (event.type === "run.end") this.#end(run);
    };
  }

  has(runId: string): boolean {
    return this.#runs.has(runId);
  }

  /** The runs kept, newest first. */
  list(): { runId: string; flowId: string; ended: boolean; events: number }[] {
    return [...this.#runs.values()]
      .reverse()
      .map((r) => ({ runId: r.runId, flowId: r.flowId, ended: r.ended, events: r.events.length }));
  }

  /**
   * A run's events: those recorded so far, then the live ones, until the run ends or `signal` aborts. Undefined
   * for a run this isolate does not know.
   */
  follow(runId: string, signal?: AbortSignal): AsyncIterable<RunEvent> | undefined {
    const run = this.#runs.get(runId);
    if (!run) return undefined;
    return {
      [Symbol.asyncIterator]: () => followRun(run, signal),
    };
  }

  #end(run: RecordedRun): void {
    run.ended = true;
    for (const listener of run.listeners) listener(undefined);
    run.listeners.clear();
  }
}

async function* followRun(run: RecordedRun, signal?: AbortSignal): AsyncGenerator<RunEvent> {
  const pending: (RunEvent | undefined)[] = [];
  let wake: (() => void) | undefined;
  const listener = (event: RunEvent | undefined): void => {
    pending.push(event);
    wake?.();
  };
  const onAbort = (): void => wake?.();
  // Replay and subscribe in one synchronous step, so no event falls between them.
  const replay = [...run.events];
  if (!run.ended) run.listeners.add(listener);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    yield* replay;
    if (run.ended) return;
    for (;;) {
      while (pending.length > 0) {
        const event = pending.shift();
        if (event === undefined) return;
        yield event;
      }
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    run.listeners.delete(listener);
    signal?.removeEventListener("abort", onAbort);
  }
}
