/**
 * Byte sizes: a number, optionally with a fraction, and an optional unit: `2048`, `512b`, `150kb`, `1.5mb`,
 * `3MiB`. KB and MB are binary (1024), KiB and MiB the same; units in any case. The one grammar of the schema
 * (`maxBodySize` in flow.v1.json), the Workers host and `flows package --budget`.
 */

/** The grammar, as a JSON Schema `pattern` (no flags: the case of the unit is spelled out). */
export const SIZE_PATTERN = "^[0-9]+(\\.[0-9]+)?([bB]|[kKmM][iI]?[bB])?$";

const SIZE = new RegExp(SIZE_PATTERN);
const UNIT_BYTES: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2 };

/**
 * Bytes of a size (rounded to a whole byte); undefined when it is not a size.
 * @example parseSize("1.5mb") // 1572864
 */
export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  // "", "b", "k" or "m": the first letter of the unit says it.
  const unit = (match[2] ?? "").toLowerCase().charAt(0);
  return Math.round(Number.parseFloat(text) * UNIT_BYTES[unit]!);
}
