import type { ErrorBody } from "./errors.ts";

/**
 * Run events: typed, ordered, numbered per run (`seq` from 1, no gaps). Hosts, logs and tests consume the
 * same stream. Grammar of one run:
 *
 *   run.start, (node events)*, run.end
 *   per started node: node.start, (node.output | node.chunk | node.retry)*, then exactly one of node.end | node.error
 *   a skipped node: one node.skipped and nothing else (it never starts)
 */

export type RunStatus = "ok" | "failed" | "cancelled" | "deadline_exceeded";
export type SkipReason = "when" | "dependency" | "port";

/**
 * One step of why a node was skipped: `reply` read `lookup` (`dependency`), `lookup`'s `when` was false (`when`), or
 * `ok` read the port `then` that `check` did not emit (`port`). `source` is the node read, `port` the port missing.
 */
export interface SkipStep {
  nodeId: string;
  reason: SkipReason;
  source?: string;
  port?: string;
}

interface EventBase {
  /** 1, 2, 3… within the run. */
  seq: number;
  runId: string;
  /** Injected clock, milliseconds. */
  at: number;
}

export interface RunStartEvent extends EventBase {
  type: "run.start";
  flowId: string;
  flowVersion: string;
}

export interface NodeStartEvent extends EventBase {
  type: "node.start";
  nodeId: string;
  kind: string;
  /** Deterministic journal key: node id plus occurrence (`fetch#1`). */
  stepKey: string;
}

export interface NodeOutputEvent extends EventBase {
  type: "node.output";
  nodeId: string;
  /** Values by port; a streaming port holds a ChunkStream (JSON: `{ stream: true, … }`). */
  outputs: Readonly<Record<string, unknown>>;
  /** True when the output came from the run journal instead of running the node again. */
  replayed?: boolean;
}

export interface NodeChunkEvent extends EventBase {
  type: "node.chunk";
  nodeId: string;
  /** The streaming port, or null for a chunk sent with `ctx.emit`. */
  port: string | null;
  /** 0, 1, 2… per port. */
  index: number;
  chunk: unknown;
}

export interface NodeRetryEvent extends EventBase {
  type: "node.retry";
  nodeId: string;
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  delayMs: number;
  error: ErrorBody;
}

export interface NodeErrorEvent extends EventBase {
  type: "node.error";
  nodeId: string;
  error: ErrorBody;
  attempts: number;
  durationMs: number;
}

export interface NodeEndEvent extends EventBase {
  type: "node.end";
  nodeId: string;
  attempts: number;
  durationMs: number;
}

export interface NodeSkippedEvent extends EventBase {
  type: "node.skipped";
  nodeId: string;
  reason: SkipReason;
}

export interface RunEndEvent extends EventBase {
  type: "run.end";
  status: RunStatus;
  durationMs: number;
  error?: ErrorBody;
  timings: RunTimings;
}

export type RunEvent =
  | RunStartEvent
  | NodeStartEvent
  | NodeOutputEvent
  | NodeChunkEvent
  | NodeRetryEvent
  | NodeErrorEvent
  | NodeEndEvent
  | NodeSkippedEvent
  | RunEndEvent;

export type RunEventType = RunEvent["type"];

/** Per-node timing of a run; nodes that never started are absent. */
export interface NodeTiming {
  status: "ok" | "failed" | "skipped";
  startedAt: number;
  endedAt: number;
  durationMs: number;
  attempts: number;
}

export interface RunTimings {
  startedAt: number;
  endedAt: number;
  durationMs: number;
  nodes: Record<string, NodeTiming>;
}

/** Distributes a run's events to its subscribers; a subscriber that throws is dropped (and reported), not the run. */
export class EventHub {
  #subscribers: ((event: RunEvent) => void)[] = [];
  seq = 0;
  /** Told about a subscriber that threw (it is then dropped). */
  onSubscriberError: ((error: unknown) => void) | undefined = undefined;

  subscribe(subscriber: (event: RunEvent) => void): void {
    this.#subscribers.push(subscriber);
  }

  publish(event: RunEvent): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
        this.onSubscriberError?.(error);
      }
    }
  }
}

/**
 * An async-iterable queue of events that ends after `run.end`. Events are buffered until read.
 * @example for await (const event of handle.events) console.log(event.seq, event.type)
 */
export class EventQueue implements AsyncIterable<RunEvent> {
  #buffer: RunEvent[] = [];
  #ended = false;
  #waiters: (() => void)[] = [];

  push = (event: RunEvent): void => {
    this.#buffer.push(event);
    if (event.type === "run.end") this.#ended = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  };

  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent, void, undefined> {
    let index = 0;
    for (;;) {
      if (index < this.#buffer.length) {
        yield this.#buffer[index++]!;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/**
 * A ReadableStream over an event iterable (for hosts that pipe streams). Cancelling the stream stops reading.
 * @example return new Response(toEventStream(handle.events).pipeThrough(sseFormatter))
 */
export function toEventStream(events: AsyncIterable<RunEvent>): ReadableStream<RunEvent> {
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<RunEvent>({
    async pull(controller) {
      const step = await iterator.next();
      if (step.done) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
