import { FlowError } from "./errors.ts";
import { abortable } from "./time.ts";

/**
 * Streaming outputs. A node may return (or put on a port) an async iterable or a ReadableStream; the kernel
 * pumps it into a ChunkStream, which every consumer (downstream nodes, the run result, the host) reads from the
 * start, as chunks arrive.
 */

export type StreamSource<T = unknown> = AsyncIterable<T> | ReadableStream<T>;

/** True for a ReadableStream or any async iterable (strings and arrays are not). */
export function isStreamLike(value: unknown): value is StreamSource {
  if (typeof value !== "object" || value === null) return false;
  return (
    value instanceof ReadableStream ||
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** How much of a stream is kept for readers that start late (see ChunkStream). */
export const STREAM_REPLAY_BYTES = 1024 * 1024;

/** The size a chunk counts for: bytes and strings by length, any other value as a small record. */
function sizeOf(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  if (chunk instanceof ArrayBuffer) return chunk.byteLength;
  if (typeof chunk === "string") return chunk.length;
  return 64;
}

/** One reader's position: the index of the next chunk it reads. */
interface Cursor {
  index: number;
}

/**
 * A multi-reader stream of chunks with a bounded buffer. Every reader reads from the first chunk, so a reader
 * that starts late still sees everything, as long as the stream is small: the first `replayBytes` (1 MiB) are
 * kept. Past that, chunks that every active reader has read are dropped, and the producer waits (`pump`) while
 * the slowest reader is more than `replayBytes` behind: a 50 MB download passed from `r2.get` to the response
 * keeps about 1 MiB in memory, and a slow client slows the read instead of filling memory. A reader that starts
 * after chunks were dropped fails with STREAM_REPLAY_EXCEEDED instead of silently missing them. With no active
 * reader nothing is dropped (a reader may still come).
 * @example for await (const chunk of result.stream) send(chunk)
 */
export class ChunkStream<T = unknown> implements AsyncIterable<T> {
  readonly replayBytes: number;
  /** What the stream is, for error messages: `nodes.get.out`. */
  readonly label: string;
  /** The chunks held are `#buffer[#start..]`; dropped ones before `#start` are cleared, then compacted away. */
  #buffer: T[] = [];
  #start = 0;
  /** Index (in the whole stream) of `#buffer[#start]`: the number of chunks dropped. */
  #base = 0;
  #bufferedBytes = 0;
  #closed = false;
  #error: unknown = undefined;
  #failed = false;
  #readers = new Set<Cursor>();
  #waiters: (() => void)[] = [];
  #spaceWaiters: (() => void)[] = [];

  constructor(options: { replayBytes?: number; label?: string } = {}) {
    this.replayBytes = options.replayBytes ?? STREAM_REPLAY_BYTES;
    this.label = options.label ?? "stream";
  }

  /** True once the source has ended or failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Chunks pushed so far. */
  get count(): number {
    return this.#base + this.#buffer.length - this.#start;
  }

  /** Bytes (string length for text) held right now. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** True once a chunk was dropped: a reader starting now would fail. */
  get truncated(): boolean {
    return this.#base > 0;
  }

  /** True when the producer should wait: readers are active and the slowest is more than `replayBytes` behind. */
  get full(): boolean {
    return this.#readers.size > 0 && this.#bufferedBytes > this.replayBytes;
  }

  push(chunk: T): void {
    if (this.#closed) return;
    this.#buffer.push(chunk);
    this.#bufferedBytes += sizeOf(chunk);
    this.#trim();
    this.#wake();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.#error = error;
    this.#failed = true;
    this.close();
  }

  /** Resolves once the producer may push again (`full` is false), at once if it is not full. */
  whenNotFull(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** Drops the oldest chunks every active reader has read, while more than `replayBytes` are held. */
  #trim(): void {
    if (this.#bufferedBytes <= this.replayBytes || this.#readers.size === 0) return;
    let slowest = Number.POSITIVE_INFINITY;
    for (const cursor of this.#readers) if (cursor.index < slowest) slowest = cursor.index;
    const buffer = this.#buffer;
    let start = this.#start;
    // Stream index of buffer[i] is this.#base + (i - this.#start).
    const end = slowest - this.#base + this.#start;
    while (this.#bufferedBytes > this.replayBytes && start < end && start < buffer.length) {
      this.#bufferedBytes -= sizeOf(buffer[start]);
      buffer[start] = undefined as T; // let the chunk go now
      start++;
    }
    this.#base += start - this.#start;
    this.#start = start;
    // Compact once the dropped prefix is most of the array: amortised O(1) per chunk, however small the chunks.
    if (start >= 1024 && start * 2 >= buffer.length) {
      this.#buffer = buffer.slice(start);
      this.#start = 0;
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #readerMoved(): void {
    this.#trim();
    if (this.full || this.#spaceWaiters.length === 0) return;
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  /** A reader that joins on its first `next()` (an iterator never read holds nothing back) and leaves at the end. */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return this.#reader(false);
  }

  /**
   * A reader. `eager`: it joins now, so no chunk it has not read is dropped from here on, and the producer waits
   * for it (it must be read or cancelled).
   */
  #reader(eager: boolean): AsyncIterator<T, undefined> {
    let cursor: Cursor | undefined;
    let finished = false;
    const leave = (): void => {
      finished = true;
      if (cursor && this.#readers.delete(cursor)) this.#readerMoved();
    };
    const join = (): Cursor => {
      if (this.#base > 0) {
        leave();
        throw new FlowError(
          "STREAM_REPLAY_EXCEEDED",
          `${this.label} was read from the start after its first ${this.replayBytes} bytes were dropped: a stream this large can be read only by consumers that start while it flows`,
          { details: { stream: this.label, droppedChunks: this.#base } },
        );
      }
      cursor = { index: 0 };
      this.#readers.add(cursor);
      return cursor;
    };
    let joinError: unknown;
    if (eager) {
      try {
        join();
      } catch (error) {
        joinError = error;
      }
    }
    const next = async (): Promise<IteratorResult<T, undefined>> => {
      if (joinError !== undefined) {
        const error = joinError;
        joinError = undefined;
        throw error;
      }
      if (finished) return { done: true, value: undefined };
      const reader = cursor ?? join();
      for (;;) {
        const offset = reader.index - this.#base + this.#start;
        if (offset < this.#buffer.length) {
          const value = this.#buffer[offset] as T;
          reader.index++;
          this.#readerMoved();
          return { done: false, value };
        }
        if (this.#failed) {
          leave();
          throw this.#error;
        }
        if (this.#closed) {
          leave();
          return { done: true, value: undefined };
        }
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    return {
      next,
      return: async () => {
        leave();
        return { done: true, value: undefined };
      },
    };
  }

  /** Every chunk, once the stream has ended. */
  async collect(): Promise<T[]> {
    const out: T[] = [];
    for await (const chunk of this) out.push(chunk);
    return out;
  }

  /**
   * A new ReadableStream over the chunks, from the first one. Its reader joins now (see `#reader`): read it or
   * cancel it.
   */
  toReadableStream(): ReadableStream<T> {
    const iterator = this.#reader(true);
    return new ReadableStream<T>(
      {
        async pull(controller) {
          const step = await iterator.next();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        },
        async cancel() {
          await iterator.return?.();
        },
      },
      // Pull one chunk at a time: the ChunkStream is the buffer.
      { highWaterMark: 0 },
    );
  }

  /** In JSON (events, logs) a stream shows as a marker, not its chunks. */
  toJSON(): { stream: true; chunks: number; closed: boolean } {
    return { stream: true, chunks: this.count, closed: this.#closed };
  }
}

interface ChunkIterator<T> {
  next(): Promise<IteratorResult<T>>;
  stop(reason: unknown): void;
}

function iteratorOf<T>(source: StreamSource<T>): ChunkIterator<T> {
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<T>>,
      stop: (reason) => void reader.cancel(reason).catch(() => {}),
    };
  }
  const iterator = source[Symbol.asyncIterator]();
  return {
    next: () => iterator.next(),
    stop: () => void Promise.resolve(iterator.return?.()).catch(() => {}),
  };
}

/**
 * Reads `source` into `target` until it ends, calling `onChunk` for each chunk. When `signal` aborts, it stops
 * waiting, cancels the source, fails the target with the abort reason and rejects with it.
 */
export async function pump<T>(
  source: StreamSource<T>,
  target: ChunkStream<T>,
  signal: AbortSignal,
  onChunk: (chunk: T, index: number) => void,
): Promise<void> {
  const iterator = iteratorOf(source);
  // One abort listener for the whole pump, rejecting whichever wait is pending (a `Promise.race` with one shared
  // "aborted" promise per chunk would pile a reaction on it for every chunk until the run ends).
  let rejectWait: ((reason: unknown) => void) | undefined;
  const onAbort = (): void => rejectWait?.(signal.reason);
  const untilAborted = <V>(wait: Promise<V>): Promise<V> =>
    new Promise<V>((resolve, reject) => {
      rejectWait = reject;
      wait.then(resolve, reject);
    });
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    for (;;) {
      const step = await untilAborted(iterator.next());
      if (step.done) break;
      pumpedChunks++;
      target.push(step.value);
      onChunk(step.value, target.count - 1);
      // Backpressure: wait while the slowest reader is far behind (see ChunkStream).
      if (target.full) await untilAborted(target.whenNotFull());
    }
    target.close();
  } catch (error) {
    const reason = signal.aborted ? signal.reason : error;
    iterator.stop(reason);
    target.fail(reason);
    throw reason;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Chunks read by `pump` in this isolate, ever: a handed-off stream adds none (tests read it). */
let pumpedChunks = 0;
export const pumpedChunkCount = (): number => pumpedChunks;

/** Streams handed over untouched (`handOff`): bytes from the platform, read by one consumer only. */
const handedOff = new WeakSet<ReadableStream>();

/** True for a stream `handOff` made: a byte stream to give the platform as it is (no JavaScript per chunk). */
export const isHandedOff = (value: unknown): value is ReadableStream<Uint8Array> =>
  value instanceof ReadableStream && handedOff.has(value);

/** workerd's native byte pipe (a Workers API; elsewhere a standard TransformStream does the same job). */
const NativePipe: new () => TransformStream<Uint8Array, Uint8Array> =
  (globalThis as { IdentityTransformStream?: new () => TransformStream<Uint8Array, Uint8Array> })
    .IdentityTransformStream ?? TransformStream;

/**
 * workerd's native pipe of a set length (undefined elsewhere): it errors on a source cut short, ends at the length,
 * and a `Response` of its readable side says its `content-length`.
 */
export const FixedLengthPipe = (
  globalThis as { FixedLengthStream?: new (length: number) => TransformStream<Uint8Array, Uint8Array> }
).FixedLengthStream;

/**
 * Hands a byte stream from the platform (an R2 body, a fetch body) to its one consumer without reading it: the
 * source is piped into a native pipe whose readable side is the consumer's, so workerd moves the bytes itself (a
 * response body fed from R2 runs no JavaScript per chunk). A source of known length (`withByteLength`) goes
 * through a FixedLengthStream, so the answer keeps its `content-length` as a `Response` of the R2 body would.
 * `done` settles when the last byte went through (the node ends then, as a pumped stream's does); `signal`
 * aborting cancels the source and errors the consumer's side, and a consumer that cancels (a client that went
 * away) cancels the source. Nothing is kept for replay: the plan takes this path only for a port with exactly one
 * reader that reads it once (see `PlannedNode.handOff`).
 */
export function handOff(
  source: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): { stream: ReadableStream<Uint8Array>; done: Promise<void> } {
  const length = byteLengthOf(source);
  const pipe = length !== undefined && FixedLengthPipe ? new FixedLengthPipe(length) : new NativePipe();
  if (length !== undefined) withByteLength(pipe.readable, length);
  handedOff.add(pipe.readable);
  // The pipe's own promise may wait for a write blocked on the reader (a TransformStream aborted mid-write): the
  // node ends on the abort itself, as a pumped stream's does.
  const done = abortable(signal, source.pipeTo(pipe.writable, { signal }));
  return { stream: pipe.readable, done };
}

/** Byte streams whose length is known before they are read (a request body with a `content-length`). */
const byteLengths = new WeakMap<ReadableStream, number>();

/**
 * Marks `stream` as exactly `bytes` long, so that a consumer that needs the length up front (R2's `put` takes a
 * stream of known length in one request) need not be told it again. Returns the stream.
 * @example withByteLength(request.body, Number(request.headers.get("content-length")))
 */
export function withByteLength<S extends ReadableStream>(stream: S, bytes: number): S {
  byteLengths.set(stream, bytes);
  return stream;
}

/** The length `withByteLength` gave a stream, else undefined. */
export const byteLengthOf = (value: unknown): number | undefined =>
  value instanceof ReadableStream ? byteLengths.get(value) : undefined;

const byteEncoder = new TextEncoder();

/**
 * Turns a stream of chunks into bytes, for an HTTP body or a storage write: bytes pass through, strings are
 * UTF-8, anything else one JSON line.
 */
export function toByteStream(stream: ReadableStream<unknown>): ReadableStream<Uint8Array> {
  if (isHandedOff(stream)) return stream;
  return stream.pipeThrough(
    new TransformStream<unknown, Uint8Array>({
      transform(chunk, controller) {
        if (chunk instanceof Uint8Array) controller.enqueue(chunk);
        else if (chunk instanceof ArrayBuffer) controller.enqueue(new Uint8Array(chunk));
        else if (typeof chunk === "string") controller.enqueue(byteEncoder.encode(chunk));
        else controller.enqueue(byteEncoder.encode(`${JSON.stringify(chunk)}\n`));
      },
    }),
  );
}
