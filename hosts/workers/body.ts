import { isJsonMediaType } from "../../flows/units/media-type.ts";
import { parseSize } from "../../flows/units/size.ts";
import type { FlowError } from "../../kernel/errors.ts";
import { FixedLengthPipe, withByteLength } from "../../kernel/stream.ts";
import { hostError } from "./codes.ts";

/** What a flow sees as `trigger.body`, by content type. */
export type RequestBody =
  | { type: "empty"; value: null }
  | { type: "json"; value: unknown }
  | { type: "text"; value: string }
  | { type: "bytes"; value: Uint8Array }
  | { type: "stream"; value: ReadableStream<Uint8Array> };

/** Default request body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const TEXT_TYPES = /^(text\/[a-z0-9.+-]+|application\/(x-www-form-urlencoded|xml|[a-z0-9.+-]+\+xml))$/;
const BYTES_TYPES = /^application\/octet-stream$/;

/** Bytes of a size in the one grammar of `flows/units/size.ts` (`"1.5mb"`, `"512kb"`, `"100"`), or a number. */
export function parseByteSize(size: string | number): number {
  if (typeof size === "number") return size;
  const bytes = parseSize(size);
  if (bytes === undefined)
    throw new TypeError(`invalid size ${JSON.stringify(size)}: use e.g. "512kb" or "1.5mb"`);
  return bytes;
}

function tooLarge(limit: number): FlowError {
  return hostError("BODY_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`, {
    limitBytes: limit,
  });
}

/** A body that broke off: the client's fault (it went away, or sent bad chunked framing), not a 500. */
const incomplete = (): FlowError =>
  hostError("BODY_INCOMPLETE", "the request body could not be read to its end");

/**
 * Reads at most `limit` bytes of a body, failing with 413 as soon as the limit is passed (without reading the
 * rest), and stopping when `signal` aborts.
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        signal?.throwIfAborted();
        throw incomplete();
      }
      const { done, value } = chunk;
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel("body too large").catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  signal?.throwIfAborted();
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The body of a request without one (shared: nothing changes it). */
const EMPTY: RequestBody = Object.freeze({ type: "empty", value: null });

/**
 * Reads a request body by its content type: JSON (400 when unparseable), text types and form data as text,
 * `application/octet-stream` as bytes, anything else 415. A body longer than `limit` bytes is a 413, decided
 * from `content-length` when present and while reading otherwise.
 *
 * Promise chains rather than async functions: on the hot path an async function's frame and its awaits are
 * allocations of their own (the body reading of a small JSON request allocated 1.5 KB as two nested async functions).
 */
export function readRequestBody(
  request: Request,
  limit: number = DEFAULT_MAX_BODY_BYTES,
  signal?: AbortSignal,
): Promise<RequestBody> {
  let declared: number | undefined;
  try {
    declared = declaredLength(request, limit);
  } catch (error) {
    return Promise.reject(error);
  }
  // A declared length says whether there is a body: `request.body` is not asked then (on Node's adapter, asking
  // for it builds a whole second Request around the socket).
  if (declared === 0 || (declared === undefined && request.body === null)) return Promise.resolve(EMPTY);
  const mediaType = mediaTypeOf(request);
  return readBody(request, declared, limit, signal).then((bytes) => decodeBody(bytes, mediaType));
}

/** A body read whole, by its media type (see `readRequestBody`). */
function decodeBody(bytes: Uint8Array, mediaType: string): RequestBody {
  if (bytes.byteLength === 0) return EMPTY;
  const isJson = isJsonMediaType(mediaType);
  const isText = !isJson && TEXT_TYPES.test(mediaType);
  const isBytes = !isJson && !isText && BYTES_TYPES.test(mediaType);
  if (!isJson && !isText && !isBytes) {
    throw hostError(
      "UNSUPPORTED_MEDIA_TYPE",
      mediaType
        ? `content type ${mediaType} is not supported: send application/json, a text type or application/octet-stream`
        : "a request body needs a content-type header: application/json, a text type or application/octet-stream",
      { contentType: mediaType || null },
    );
  }
  if (isBytes) return { type: "bytes", value: bytes };
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw hostError("BODY_INVALID_UTF8", "request body is not valid UTF-8");
  }
  if (!isJson) return { type: "text", value: text };
  try {
    return { type: "json", value: JSON.parse(text) };
  } catch (error) {
    throw hostError("BODY_INVALID_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads a body whole as bytes, whatever its content type (a `body: raw` trigger): the exact bytes a signature
 * was computed over. 413 past `limit`, from `content-length` first and while reading otherwise.
 * @example const { value } = await readRawRequestBody(request, 25 * 1024 * 1024)
 */
export function readRawRequestBody(
  request: Request,
  limit: number = DEFAULT_MAX_BODY_BYTES,
  signal?: AbortSignal,
): Promise<RequestBody> {
  let declared: number | undefined;
  try {
    declared = declaredLength(request, limit);
  } catch (error) {
    return Promise.reject(error);
  }
  return readBody(request, declared, limit, signal).then(rawBody);
}

const rawBody = (bytes: Uint8Array): RequestBody => ({ type: "bytes", value: bytes });

/** Decodes a whole body (no `stream` option, so it keeps no state between calls): shared, not made per request. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const mediaTypeOf = (request: Request): string => {
  const header = request.headers.get("content-type");
  if (header === null) return "";
  const semicolon = header.indexOf(";");
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
};

/**
 * The request's declared `content-length` (413 before reading when it is over `limit`), or undefined when it has
 * none (a chunked body) or an unusable one.
 */
function declaredLength(request: Request, limit: number): number | undefined {
  const header = request.headers.get("content-length");
  if (header === null || !DIGITS.test(header)) return undefined;
  const length = Number(header);
  if (length > limit) throw tooLarge(limit);
  return length;
}

const DIGITS = /^[0-9]+$/;

/**
 * A body with a declared length within the limit is read natively in one call (the HTTP layer ends it at that
 * length: reading it chunk by chunk from JavaScript cost workerd about 130 µs per request more); any other body
 * is read chunk by chunk, counting against the limit.
 */
function readBody(
  request: Request,
  declared: number | undefined,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (declared === undefined) return readLimited(request.body, limit, signal);
  if (signal?.aborted) return Promise.reject(signal.reason);
  // No abort listener: a client that goes away errors the body, which ends this read (a listener on the
  // request's signal cost workerd more than the read of a small body).
  return request.arrayBuffer().then(
    (buffer) => {
      // The declared length is the client's word: a body longer than the limit is refused all the same.
      if (buffer.byteLength > limit) throw tooLarge(limit);
      return new Uint8Array(buffer);
    },
    () => {
      signal?.throwIfAborted();
      throw incomplete();
    },
  );
}

/** Why a body's feed stopped: the run it went to has ended (`StreamedBody.release`). */
const runEnded = (): DOMException => new DOMException("the run has ended", "AbortError");

/**
 * A body with a declared length within the limit: the HTTP layer holds it to that length (it ends the body there),
 * so nothing is counted in JavaScript. The request's stream is piped natively into a FixedLengthStream, whose
 * readable side goes on marked with its length (R2 takes it in one put, workerd moves the bytes itself).
 *
 * The pipe failing is what tells a body cut short (the client closed its side early: 400 BODY_INCOMPLETE, as for a
 * chunked body): a source that breaks fails the pipe first, and the reader after it, so the verdict is there when
 * the run fails. A reader that gives up fails the pipe only at the source's next chunk, after the run's own error
 * (workerd leaves the source errored either way, so its state cannot tell them apart).
 */
function streamDeclaredBody(request: Request, declared: number): StreamedBody {
  const pipe = new FixedLengthPipe!(declared);
  let broken: FlowError | undefined;
  const ended = new AbortController();
  request.body!.pipeTo(pipe.writable, { signal: ended.signal }).catch(() => {
    if (!ended.signal.aborted && !request.signal?.aborted) broken = incomplete();
  });
  return {
    body: { type: "stream", value: withByteLength(pipe.readable, declared) },
    overLimit: () => broken,
    release: () => ended.abort(runEnded()),
  };
}

/** A request body passed on as a stream, and whether it went past its limit. */
export interface StreamedBody {
  body: RequestBody;
  /** The BODY_TOO_LARGE error once the stream has passed the limit, BODY_INCOMPLETE once it broke, else undefined. */
  overLimit(): FlowError | undefined;
  /**
   * The run has ended: a reader that did not finish (a node abandoned on cancel) gets no more of the body, so a
   * write it was making fails instead of completing after the run.
   */
  release(): void;
}

/**
 * Whether a `body: stream` route passes this body on unread: any body the host would not parse, so an upload
 * route takes `image/png`, `application/zip` or no content type at all; JSON and text types are still parsed.
 */
export const isStreamableBody = (request: Request): boolean => {
  if (request.body === null) return false;
  const mediaType = mediaTypeOf(request);
  return !isJsonMediaType(mediaType) && !TEXT_TYPES.test(mediaType);
};

/**
 * Passes a body on without reading it (one `isStreamableBody` accepts). A `content-length` over the limit is refused at
 * once; one within it is piped on natively, marked with its length (`streamDeclaredBody`). A body without one
 * (chunked) is piped through a byte-counting TransformStream that errors with BODY_TOO_LARGE (413) once more than
 * `limit` bytes have passed. Nothing is buffered beyond the streams' own queues.
 * @example const { body, overLimit } = streamRequestBody(request, 100 * 1024 * 1024)
 */
export function streamRequestBody(request: Request, limit: number = DEFAULT_MAX_BODY_BYTES): StreamedBody {
  const declared = declaredLength(request, limit);
  // workerd only: elsewhere a declared body is counted like any other.
  if (declared !== undefined && FixedLengthPipe) return streamDeclaredBody(request, declared);
  let total = 0;
  let exceeded: FlowError | undefined;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > limit) {
        exceeded = tooLarge(limit);
        controller.error(exceeded);
        return;
      }
      controller.enqueue(chunk);
    },
  });
  // A source that breaks (the client's stream, or invalid chunked framing) is the client's fault: the run fails
  // with whatever node read it, and the host answers 400 BODY_INCOMPLETE rather than that node's 5xx.
  let broken: FlowError | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const source = request.body!;
  const guarded = new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= source.getReader();
      try {
        const chunk = await reader.read();
        if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch (error) {
        if (!request.signal?.aborted) broken = incomplete();
        controller.error(error);
      }
    },
    cancel(reason) {
      return (reader ?? source).cancel(reason);
    },
  });
  const ended = new AbortController();
  const stream = guarded.pipeThrough(counter, { signal: AbortSignal.any([request.signal, ended.signal]) });
  return {
    body: { type: "stream", value: stream },
    overLimit: () => exceeded ?? broken,
    release: () => ended.abort(runEnded()),
  };
}
