import { cappedJson, type TruncatedMarker } from "./record.ts";

/**
 * A run's input as the run store keeps it, for `POST /_flows/runs/:id/rerun`: the trigger event the kernel got,
 * as JSON, within `INPUT_BYTES`. Bytes (`body: raw`) are kept as base64 (`{ "$bytes": "…" }`); a byte stream
 * (`body: stream`) cannot be kept (`{ "$stream": true }`: that run cannot be rerun). Credentials are never stored:
 * the request headers `REDACTED_HEADER` matches are left out.
 */

/** Most bytes of a run's stored input (its JSON); past it, the truncated marker (the run cannot be rerun). */
export const INPUT_BYTES = 64 * 1024;

/**
 * Request headers left out of a stored input: a rerun never replays a credential (`authorization`, `cookie`,
 * `proxy-authorization`, and any header whose name says `signature`, `token`, `secret` or `api-key`).
 */
export const REDACTED_HEADER =
  /^(authorization|cookie|proxy-authorization)$|signature|token|secret|api-?key/i;

/** `headers` less the ones `REDACTED_HEADER` matches (what the store and a durable run's parameters keep). */
export function withoutCredentials<T>(headers: Readonly<Record<string, T>>): Record<string, T> {
  const kept: Record<string, T> = {};
  for (const [name, value] of Object.entries(headers)) if (!REDACTED_HEADER.test(name)) kept[name] = value;
  return kept;
}

const BYTES = "$bytes";
const STREAM = "$stream";

function base64Of(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function bytesOf(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `value` with bytes as `{ $bytes }` and streams as `{ $stream: true }` (JSON can hold neither). */
function encodeValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { [BYTES]: base64Of(value) };
  if (value instanceof ArrayBuffer) return { [BYTES]: base64Of(new Uint8Array(value)) };
  if (value instanceof ReadableStream) return { [STREAM]: true };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = encodeValue(value[key]);
    return out;
  }
  return value;
}

/** True when the stored input holds a stream marker (or was cut): such a run cannot be rerun. */
export function replayable(input: unknown): boolean {
  if (!isPlainObject(input)) return !Array.isArray(input) || input.every(replayable);
  if (input[STREAM] === true || (input.truncated === true && typeof input.bytes === "number")) return false;
  return Object.values(input).every(replayable);
}

/** The stored form of a trigger event (see the comment at the top of this file): JSON, capped. */
export function storedInput(trigger: unknown): unknown {
  let value = trigger;
  if (isPlainObject(trigger) && isPlainObject(trigger.headers)) {
    value = { ...trigger, headers: withoutCredentials(trigger.headers) };
  }
  return JSON.parse(cappedJson(encodeValue(value), INPUT_BYTES)) as unknown | TruncatedMarker;
}

/** The trigger event back from its stored form (`{ $bytes }` as a Uint8Array again). */
export function triggerOf(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(triggerOf);
  if (isPlainObject(input)) {
    const keys = Object.keys(input);
    if (keys.length === 1 && typeof input[BYTES] === "string") return bytesOf(input[BYTES] as string);
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = triggerOf(input[key]);
    return out;
  }
  return input;
}
