import { EventHub, EventQueue, type RunEvent, toEventStream } from "./events.ts";
import type { ExecutionPlan } from "./plan.ts";
import { outputStream, type RunResult } from "./result.ts";
import { Run, type RunWatcher } from "./run.ts";
import { type RunOptions, resolveRunConfig } from "./run-config.ts";
import { newRunId } from "./run-id.ts";

/** A run's output: the output node's value, and its stream when it is one (or a `respond` with a stream body). */
export interface RunOutput {
  value: unknown;
  /** The output's stream, readable from its first chunk; reading it is up to whoever asked for the output. */
  stream?: ReadableStream<unknown>;
}

/** A started run. */
export interface RunHandle {
  readonly runId: string;
  /** Resolves when the run has ended (it never rejects: failures are a status). */
  readonly result: Promise<RunResult>;
  /**
   * Resolves as soon as the output node has produced its output (before the run ends, and before a streaming
   * output has finished), or at the end of the run (`value` undefined) when it never does.
   */
  readonly output: Promise<RunOutput>;
  /**
   * Every event of the run from `run.start` to `run.end`, however late it is read, when the run records its
   * events: it does when this (or `eventStream()`) is first read in the turn that started the run, or when the run
   * has an `onEvent` listener. Otherwise no event is ever built, and reading this later throws a TypeError.
   */
  readonly events: AsyncIterable<RunEvent>;
  /** The events as a ReadableStream (recorded as for `events`). */
  eventStream(): ReadableStream<RunEvent>;
  /** Cancels the run: status `cancelled`, no node starts any more, running nodes are aborted. */
  cancel(reason?: string): void;
}

/**
 * The handle `startRun` returns. The run starts on the next microtask, so that the handle exists (for `cancel`,
 * and to ask for the events) before the first event. What nobody asks for is never built: no output promise,
 * no event hub, event object or recording (a JSON answer pays for none of them).
 */
export class StartedRun implements RunHandle, RunWatcher {
  readonly runId: string;
  readonly result: Promise<RunResult>;
  readonly #run: Run;
  readonly #options: RunOptions;
  #resolveResult: ((result: RunResult) => void) | undefined = undefined;
  #started = false;
  #queue: EventQueue | undefined = undefined;
  /** The output once it exists (boxed: an output may be `undefined`), and who waits for it. */
  #output: { value: unknown } | undefined = undefined;
  #outputPromise: Promise<RunOutput> | undefined = undefined;
  #resolveOutput: ((output: RunOutput) => void) | undefined = undefined;
  #ended = false;

  /** `exposed`: false for `runFlow`, whose handle nobody sees (a listener then does not make it record). */
  constructor(plan: ExecutionPlan, options: RunOptions, exposed = true) {
    this.runId = options.runId ?? newRunId();
    this.#options = options;
    // Made here, not when it starts: a plan that does not compile (a deferred one) throws to the caller.
    this.#run = new Run(plan, resolveRunConfig(options, this.runId), this);
    this.result = new Promise<RunResult>((resolve) => {
      this.#resolveResult = resolve;
    });
    if (options.onEvent) this.#listen(exposed);
    startSoon(this);
  }

  /** Starts the run, once: called on the microtask after the constructor (`startSoon`). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run.start();
  }

  get output(): Promise<RunOutput> {
    if (this.#outputPromise) return this.#outputPromise;
    if (this.#output || this.#ended) {
      this.#outputPromise = Promise.resolve(outputOf(this.#output?.value));
    } else {
      this.#outputPromise = new Promise<RunOutput>((resolve) => {
        this.#resolveOutput = resolve;
      });
    }
    return this.#outputPromise;
  }

  get events(): AsyncIterable<RunEvent> {
    return this.#record();
  }

  eventStream(): ReadableStream<RunEvent> {
    return toEventStream(this.#record());
  }

  cancel(reason?: string): void {
    this.#run.cancel(reason);
  }

  /** RunWatcher: the output node's value exists. */
  outputReady(value: unknown): void {
    this.#output = { value };
    this.#resolveOutput?.(outputOf(value));
  }

  /** RunWatcher: the run has ended. */
  ended(result: RunResult): void {
    this.#ended = true;
    this.#resolveOutput?.({ value: undefined });
    this.#resolveResult?.(result);
  }

  /** The recorded events, set up on first use (which must come before the start). */
  #record(): EventQueue {
    if (this.#queue) return this.#queue;
    if (this.#started) {
      throw new TypeError(
        `run \`${this.runId}\` records no events: read \`events\` in the turn that started it, or pass \`onEvent\``,
      );
    }
    return this.#listen(true)!;
  }

  /** Gives the run an event hub: the `onEvent` listener, and a queue recording every event when `record`. */
  #listen(record: boolean): EventQueue | undefined {
    const hub = new EventHub();
    if (record) {
      this.#queue = new EventQueue();
      hub.subscribe(this.#queue.push);
    }
    if (this.#options.onEvent) hub.subscribe(this.#options.onEvent);
    this.#run.listen(hub);
    return this.#queue;
  }
}

/**
 * Runs started in this turn, started on its next microtask in the order they were made: one promise reaction for a
 * batch, not one (and a closure) per run. A reaction, not queueMicrotask: the same microtask queue, but workerd's
 * queueMicrotask costs about 8 µs a call (a binding that wraps the callback) against 0.2 µs for a reaction
 * (impl-docs/github.md).
 */
const starting: StartedRun[] = [];
const RESOLVED = Promise.resolve();

function startSoon(run: StartedRun): void {
  if (starting.length === 0) void RESOLVED.then(startBatch);
  starting.push(run);
}

/** A run made while the batch starts (a subflow's) joins it: it starts after the turn that made it all the same. */
function startBatch(): void {
  for (let i = 0; i < starting.length; i++) {
    try {
      starting[i]!.start();
    } catch (error) {
      // As if each run had its own reaction: one that throws does not keep the others from starting.
      void Promise.reject(error);
    }
  }
  starting.length = 0;
}

function outputOf(value: unknown): RunOutput {
  const stream = outputStream(value);
  return stream ? { value, stream } : { value };
}
