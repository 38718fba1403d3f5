/**
 * JSON text for values stored in Durable Object SQL columns, keeping bytes: a Uint8Array or ArrayBuffer at
 * any depth is written as `{ "$bytes": "<base64>" }` and read back as a Uint8Array. (An object whose only key
 * is `$bytes` is therefore reserved.)
 */

const toBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * Encodes a value (JSON plus bytes) as text.
 * @example encodeValue({ a: new Uint8Array([1]) }) // '{"a":{"$bytes":"AQ=="}}'
 */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value ?? null, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof ArrayBuffer) return { $bytes: toBase64(new Uint8Array(raw)) };
    if (ArrayBuffer.isView(raw))
      return { $bytes: toBase64(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)) };
    return v;
  });
}

/** Decodes text written by `encodeValue`. */
export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const bytes = (v as { $bytes?: unknown }).$bytes;
      if (keys.length === 1 && typeof bytes === "string") return fromBase64(bytes);
    }
    return v;
  });
}
