/**
 * Streaming outputs. A node may return (or put on a port) an async iterable or a ReadableStream; the kernel
 * pumps it into a ChunkStream, which every consumer (downstream nodes, the run result, the SSE host) can read
 * from the start, as chunks arrive.
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

/**
 * A replayable, multi-reader stream of chunks: it buffers every chunk, and each iteration starts from the
 * first one. Chunks are kept for the run's lifetime (a run is short; that is the price of late readers).
 * @example for await (const chunk of result.stream) send(chunk)
 */
export class ChunkStream<T = unknown> implements AsyncIterable<T> {
  readonly chunks: T[] = [];
  #closed = false;
  #error: unknown = undefined;
  #failed = false;
  #waiters: (() => void)[] = [];

  /** True once the source has ended or failed. */
  get closed(): boolean {
    return this.#closed;
  }

  push(chunk: T): void {
    if (this.#closed) return;
    this.chunks.push(chunk);
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

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let index = 0;
    for (;;) {
      if (index < this.chunks.length) {
        yield this.chunks[index++] as T;
        continue;
      }
      if (this.#failed) throw this.#error;
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Every chunk, once the stream has ended. */
  async collect(): Promise<T[]> {
    const out: T[] = [];
    for await (const chunk of this) out.push(chunk);
    return out;
  }

  /** A new ReadableStream over the chunks (from the first one). */
  toReadableStream(): ReadableStream<T> {
    const iterator = this[Symbol.asyncIterator]();
    return new ReadableStream<T>({
      async pull(controller) {
        const step = await iterator.next();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      async cancel() {
        await iterator.return();
      },
    });
  }

  /** In JSON (events, logs) a stream shows as a marker, not its chunks. */
  toJSON(): { stream: true; chunks: number; closed: boolean } {
    return { stream: true, chunks: this.chunks.length, closed: this.#closed };
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
  let rejectAborted: (reason: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    rejectAborted = reject;
  });
  aborted.catch(() => {});
  const onAbort = (): void => rejectAborted(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    for (;;) {
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done) break;
      target.push(step.value);
      onChunk(step.value, target.chunks.length - 1);
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

const byteEncoder = new TextEncoder();

/**
 * Turns a stream of chunks into bytes, for an HTTP body or a storage write: bytes pass through, strings are
 * UTF-8, anything else one JSON line.
 */
export function toByteStream(stream: ReadableStream<unknown>): ReadableStream<Uint8Array> {
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
