import { byteLengthOf, ChunkStream, type NodeContext, toByteStream } from "../../kernel/index.ts";
import { checkAborted } from "../binding.ts";
import { inputError, optionalInteger } from "../inputs.ts";
import { R2_LIMITS } from "./declaration.ts";

/**
 * A body ready for R2: bytes or text as they are, or a stream, with its length when the stream came with one (a
 * request body with a `content-length`; else input `size` gives it, or the upload goes in parts).
 */
export type PutBody =
  | { kind: "value"; value: string | ArrayBuffer | ArrayBufferView; json: boolean }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; length?: number };

/** Input `body`: a string, bytes, a stream (a request body or another node's stream), else JSON. */
export function bodyInput(ctx: NodeContext): PutBody {
  const raw = ctx.inputs.body;
  if (raw === undefined) throw inputError(ctx, "body", "must be given");
  if (raw instanceof ReadableStream)
    return { kind: "stream", stream: raw as ReadableStream<Uint8Array>, length: byteLengthOf(raw) };
  if (raw instanceof ChunkStream) return { kind: "stream", stream: toByteStream(raw.toReadableStream()) };
  if (typeof raw === "string" || raw instanceof ArrayBuffer || ArrayBuffer.isView(raw))
    return { kind: "value", value: raw, json: false };
  return { kind: "value", value: JSON.stringify(raw), json: true };
}

/**
 * Input `size` (its length in bytes), else the length a stream body came with; a size that contradicts that
 * length is refused before anything is sent.
 */
export function bodySize(ctx: NodeContext, body: PutBody): number | undefined {
  const given = optionalInteger(ctx, "size", 0);
  const known = body.kind === "stream" ? body.length : undefined;
  if (given !== undefined && known !== undefined && given !== known)
    throw inputError(ctx, "size", `is ${given} bytes, but the body came with a length of ${known}`);
  return given ?? known;
}

/**
 * A stream of exactly `size` bytes that R2 accepts in one request (a stream of unknown length is refused): one
 * that already is (`withByteLength`: a request body with a content-length) as it is, since workerd cannot pipe one
 * native transform into another; any other through a FixedLengthStream that `signal` aborts.
 */
export function fixedLength(
  stream: ReadableStream<Uint8Array>,
  size: number,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  if (byteLengthOf(stream) === size) return stream;
  return stream.pipeThrough(new FixedLengthStream(size), { signal });
}

/**
 * Reads a stream in parts of exactly `partSize` bytes (the last one shorter), holding at most one part plus one
 * chunk in memory. Cancels the stream when the node's signal aborts.
 * @example for await (const part of parts(ctx, body, 5 * 1024 * 1024)) await upload.uploadPart(n++, part)
 */
export async function* parts(
  ctx: NodeContext,
  stream: ReadableStream<Uint8Array>,
  partSize: number = R2_LIMITS.minPartBytes,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  const onAbort = (): void => void reader.cancel(ctx.signal.reason).catch(() => {});
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  let part = new Uint8Array(partSize);
  let filled = 0;
  try {
    for (;;) {
      checkAborted(ctx);
      const { done, value } = await reader.read();
      if (done) break;
      let offset = 0;
      while (offset < value.byteLength) {
        const n = Math.min(partSize - filled, value.byteLength - offset);
        part.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === partSize) {
          yield part;
          part = new Uint8Array(partSize);
          filled = 0;
        }
      }
    }
    checkAborted(ctx);
    if (filled > 0) yield part.subarray(0, filled);
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}
