import type { Json } from "../flows/ir/types.ts";
import {
  ChunkStream,
  FlowError,
  type KindRegistry,
  type NodeContext,
  type NodeKind,
  systemClock,
} from "../kernel/index.ts";

/**
 * Test helpers for capability kinds: call one kind's `run` with a hand-built context (no plan, no flow), as a
 * conformance suite does against each implementation of a binding.
 */

export interface KindCall {
  inputs?: Record<string, unknown>;
  config?: Record<string, Json>;
  env: Readonly<Record<string, unknown>>;
  signal?: AbortSignal;
}

/** A NodeContext for one attempt of node `n`. */
export function nodeContext(call: KindCall): NodeContext {
  const unsupported = (): never => {
    throw new Error("not available in a kind test");
  };
  return {
    runId: "test-run",
    flowId: "test",
    nodeId: "n",
    stepKey: "n#1",
    attempt: 1,
    inputs: call.inputs ?? {},
    config: call.config ?? {},
    prepared: undefined,
    idempotencyKey: undefined,
    signal: call.signal ?? new AbortController().signal,
    clock: systemClock,
    env: call.env,
    fetch: unsupported as unknown as typeof fetch,
    log: () => {},
    emit: () => {},
    evaluate: unsupported,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    runTemplate: unsupported,
    runSubflow: unsupported,
  };
}

/** Runs kind `name` of `registry` once; resolves to its outputs by port. */
export async function runKind(
  registry: KindRegistry,
  name: string,
  call: KindCall,
): Promise<Record<string, unknown>> {
  const kind: NodeKind | undefined = registry[name];
  if (!kind) throw new Error(`no kind ${name}`);
  const result = await kind.run(nodeContext(call));
  return (result ?? {}) as Record<string, unknown>;
}

/** Runs a kind that should fail; resolves to its FlowError (fails the test otherwise). */
export async function failKind(registry: KindRegistry, name: string, call: KindCall): Promise<FlowError> {
  try {
    await runKind(registry, name, call);
  } catch (error) {
    if (error instanceof FlowError) return error;
    throw error;
  }
  throw new Error(`${name} did not fail`);
}

/** Reads a byte stream (or ChunkStream of bytes) to one Uint8Array. */
export async function readAll(
  stream: ReadableStream<Uint8Array> | ChunkStream<unknown>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  if (stream instanceof ChunkStream) for await (const chunk of stream) chunks.push(chunk as Uint8Array);
  else for await (const chunk of stream) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** `size` deterministic pseudo-random bytes (byte i depends on i and `seed`). */
export function bytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** True when two byte arrays are equal (fast path for large ones). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A unique key prefix per test, so tests never see each other's data. */
export const prefix = (name: string): string => `${name}/${crypto.randomUUID()}/`;

/** The byte sequence of `bytes(n, seed)`, produced piece by piece (so 50 MB never sits in one array). */
export class ByteSequence {
  #x: number;
  constructor(seed = 1) {
    this.#x = seed >>> 0 || 1;
  }
  next(size: number): Uint8Array {
    const out = new Uint8Array(size);
    let x = this.#x;
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    this.#x = x;
    return out;
  }
}

/**
 * A pull-based stream of `total` bytes of `ByteSequence(seed)` in `chunk`-byte pieces: a piece is made only when
 * the reader asks for one. `onPull` sees the running total of bytes produced.
 */
export function byteSource(
  total: number,
  seed: number,
  chunk: number,
  onPull: (produced: number) => void = () => {},
): ReadableStream<Uint8Array> {
  const sequence = new ByteSequence(seed);
  let produced = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= total) return controller.close();
        const size = Math.min(chunk, total - produced);
        produced += size;
        onPull(produced);
        controller.enqueue(sequence.next(size));
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a byte stream and checks it against `ByteSequence(seed)` piece by piece; resolves to the byte count. */
export async function verifyStream(stream: ReadableStream<Uint8Array>, seed: number): Promise<number> {
  const sequence = new ByteSequence(seed);
  let total = 0;
  for await (const chunk of stream) {
    const expected = sequence.next(chunk.byteLength);
    if (!sameBytes(chunk, expected)) throw new Error(`bytes differ in the chunk at offset ${total}`);
    total += chunk.byteLength;
  }
  return total;
}
