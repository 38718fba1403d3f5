import type { DurableEvent, DurableStepConfig, StepEngine } from "./durable.ts";
import { FlowError, isRetriable } from "./errors.ts";
import { retryDelay } from "./retry.ts";
import type { Outputs } from "./step.ts";
import { type Clock, sleep, systemClock, systemTimers, type Timers } from "./time.ts";

/**
 * The in-process stand-in for a durable engine (`flows run`, the kernel's tests, the Node host): Workflows'
 * semantics without persistence. Completed steps are kept in `records` (copied in and out, as a store would); a
 * second run given the same engine is a replay, and does not call a finished step's work again. Events are given
 * up front (`events`) or sent while a run waits (`send`).
 */

export interface MemoryStepsOptions {
  /** Sleeps and the backoff between attempts end at once (a wait with no event then times out at once too). */
  skipSleeps?: boolean;
  /** Events to deliver, in order: each is taken by the first wait for its type. */
  events?: readonly { type: string; payload?: unknown }[];
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
}

/** A step that is waiting: what for, and until when (ms since the epoch). */
export interface PendingWait {
  readonly name: string;
  readonly kind: "sleep" | "event";
  readonly until: number;
  readonly eventType?: string;
}

type StepRecordValue =
  | { kind: "do"; outputs: Outputs }
  | { kind: "sleep" }
  | { kind: "event"; event: DurableEvent };

export class MemorySteps implements StepEngine {
  /** Completed steps by name. */
  readonly records: Map<string, StepRecordValue> = new Map();
  /** Calls of each step's work (a replayed step adds none). */
  readonly calls: Map<string, number> = new Map();
  readonly #inbox: DurableEvent[] = [];
  readonly #waiters = new Map<string, { type: string; deliver: (event: DurableEvent) => void }>();
  readonly #pending = new Map<string, PendingWait>();
  readonly #skipSleeps: boolean;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #random: () => number;

  constructor(options: MemoryStepsOptions = {}) {
    this.#skipSleeps = options.skipSleeps === true;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#random = options.random ?? Math.random;
    for (const event of options.events ?? []) this.send(event.type, event.payload);
  }

  /** What the run waits for now (sleeps and waits not yet over). */
  get waiting(): PendingWait[] {
    return [...this.#pending.values()];
  }

  /** Delivers an event: to a wait for its type, or kept for the first one to come. */
  send(type: string, payload?: unknown): void {
    const event: DurableEvent = {
      type,
      payload: structuredClone(payload ?? null),
      timestamp: this.#clock.now(),
    };
    for (const [name, waiter] of this.#waiters) {
      if (waiter.type !== type) continue;
      this.#waiters.delete(name);
      waiter.deliver(event);
      return;
    }
    this.#inbox.push(event);
  }

  async do(name: string, config: DurableStepConfig, work: () => Promise<Outputs>): Promise<Outputs> {
    const done = this.records.get(name);
    if (done?.kind === "do") return structuredClone(done.outputs);
    for (let attempt = 1; ; attempt++) {
      this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
      try {
        const outputs = structuredClone(await work());
        this.records.set(name, { kind: "do", outputs });
        return structuredClone(outputs);
      } catch (error) {
        if (attempt >= config.retry.attempts || !isRetriable(error)) throw error;
        const delayMs = retryDelay(config.retry, attempt, error, this.#random);
        if (!this.#skipSleeps) await sleep(delayMs, undefined, this.#timers);
      }
    }
  }

  sleep(name: string, ms: number): Promise<void> {
    return this.sleepUntil(name, this.#clock.now() + ms);
  }

  async sleepUntil(name: string, timestamp: number): Promise<void> {
    if (this.records.has(name)) return;
    const left = timestamp - this.#clock.now();
    if (left > 0 && !this.#skipSleeps) {
      this.#pending.set(name, { name, kind: "sleep", until: timestamp });
      try {
        await sleep(left, undefined, this.#timers);
      } finally {
        this.#pending.delete(name);
      }
    }
    this.records.set(name, { kind: "sleep" });
  }

  waitForEvent(name: string, options: { type: string; timeoutMs: number }): Promise<DurableEvent> {
    const done = this.records.get(name);
    if (done?.kind === "event") return Promise.resolve(structuredClone(done.event));
    const received = (event: DurableEvent): DurableEvent => {
      this.records.set(name, { kind: "event", event });
      return structuredClone(event);
    };
    const index = this.#inbox.findIndex((event) => event.type === options.type);
    if (index !== -1) return Promise.resolve(received(this.#inbox.splice(index, 1)[0]!));
    const timedOut = (): FlowError => waitTimeout(name, options.type, options.timeoutMs);
    if (this.#skipSleeps) return Promise.reject(timedOut());
    return new Promise<DurableEvent>((resolve, reject) => {
      const until = this.#clock.now() + options.timeoutMs;
      this.#pending.set(name, { name, kind: "event", until, eventType: options.type });
      const timer = this.#timers.setTimeout(() => {
        this.#waiters.delete(name);
        this.#pending.delete(name);
        reject(timedOut());
      }, options.timeoutMs);
      this.#waiters.set(name, {
        type: options.type,
        deliver: (event) => {
          this.#timers.clearTimeout(timer);
          this.#pending.delete(name);
          resolve(received(event));
        },
      });
    });
  }
}

/** The error of a wait that saw no event in time (the same for every engine). */
export function waitTimeout(name: string, type: string, timeoutMs: number): FlowError {
  return new FlowError("WAIT_TIMEOUT", `no \`${type}\` event came within ${timeoutMs}ms (step \`${name}\`)`, {
    details: { step: name, event: type, timeoutMs },
  });
}
