import type { Clock, Timers } from "./time.ts";

const wallClock: Clock = { now: () => Date.now() };

/** How far ahead the platform timer is armed at most. */
const HORIZON_MS = 1_000;

/** One timeout of a TimerSet: its due time, its callback, its place in the heap (-1 once gone). */
interface Timeout {
  due: number;
  /** Set order: timeouts due at the same time fire in the order they were set, as platform timers do. */
  seq: number;
  callback: () => void;
  index: number;
}

/**
 * The timeouts of one run (its deadline, its nodes' timeouts and grace periods) on one platform timer, armed for
 * the earliest. A platform timer is a native call each way (on workerd about 3 µs to set and as much to clear,
 * from a profile of the webhook), and a webhook's run used to set and clear four. Here a run sets one when it
 * first needs one and clears it when its last timeout goes. The timer is armed for the earliest timeout but at
 * most `HORIZON_MS` ahead, so that the run's deadline (25 s), set first, and its nodes' timeouts (10 s), set after,
 * share it: a run that ends within the horizon (nearly all) sets one timer; a longer one wakes once a horizon,
 * finds nothing due and re-arms. A cleared timeout that was the earliest leaves the timer armed likewise.
 *
 * Per run, never per isolate: on Workers a timer belongs to the request that set it, so one request's timer must
 * not carry another's timeouts. A timeout is due once the clock has reached it or the armed timer it waited for
 * has fired (a test clock that never moves still sees its timers fire). The clock is the wall clock, not the run's
 * injected one: placing a timeout is the timers' business, and reads of the run's clock are the run's (its timings).
 */
export class TimerSet implements Timers {
  readonly #base: Timers;
  readonly #clock: Clock;
  readonly #heap: Timeout[] = [];
  #armed: unknown = undefined;
  /** When the armed platform timer is due (Infinity when none is armed). */
  #armedFor = Number.POSITIVE_INFINITY;
  #seq = 0;

  constructor(base: Timers, clock: Clock = wallClock) {
    this.#base = base;
    this.#clock = clock;
  }

  /** How many timeouts are pending (tests). */
  get size(): number {
    return this.#heap.length;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timeout: Timeout = {
      due: this.#clock.now() + Math.max(0, ms),
      seq: this.#seq++,
      callback,
      index: -1,
    };
    this.#push(timeout);
    if (timeout.due < this.#armedFor) this.#arm(timeout.due);
    return timeout;
  }

  clearTimeout(handle: unknown): void {
    const timeout = handle as Timeout | undefined;
    if (!timeout || timeout.index < 0) return;
    this.#remove(timeout.index);
    if (this.#heap.length === 0) this.#disarm();
  }

  #arm(due: number): void {
    if (this.#armed !== undefined) this.#base.clearTimeout(this.#armed);
    const now = this.#clock.now();
    const at = Math.min(due, now + HORIZON_MS);
    this.#armedFor = at;
    this.#armed = this.#base.setTimeout(() => this.#fire(at), Math.max(0, at - now));
  }

  #disarm(): void {
    if (this.#armed !== undefined) this.#base.clearTimeout(this.#armed);
    this.#armed = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  /** The armed timer fired: runs what is due, one at a time (a callback may set or clear others), re-arms. */
  #fire(armedFor: number): void {
    this.#armed = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = Math.max(this.#clock.now(), armedFor);
    for (;;) {
      const first = this.#heap[0];
      if (!first) return;
      if (first.due > now) break;
      this.#remove(0);
      first.callback();
    }
    const next = this.#heap[0];
    if (next && next.due < this.#armedFor) this.#arm(next.due);
  }

  // A binary min-heap by due time, each entry knowing its index so that clearing one is O(log n).
  #push(timeout: Timeout): void {
    timeout.index = this.#heap.length;
    this.#heap.push(timeout);
    this.#up(timeout.index);
  }

  #remove(index: number): void {
    const heap = this.#heap;
    const gone = heap[index]!;
    const last = heap.pop()!;
    gone.index = -1;
    if (last === gone) return;
    heap[index] = last;
    last.index = index;
    this.#down(index);
    this.#up(last.index);
  }

  #up(index: number): void {
    const heap = this.#heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const first = heap[a]!;
    const second = heap[b]!;
    heap[a] = second;
    heap[b] = first;
    first.index = b;
    second.index = a;
  }
}

const before = (a: Timeout, b: Timeout): boolean => a.due < b.due || (a.due === b.due && a.seq < b.seq);
