/** JSON pointers (RFC 6901), used to name a value inside a flow document. */

const escapeSegment = (segment: string | number): string =>
  String(segment).replaceAll("~", "~0").replaceAll("/", "~1");
const unescapeSegment = (segment: string): string => segment.replaceAll("~1", "/").replaceAll("~0", "~");

/**
 * Builds a pointer from path segments.
 * @example toPointer(["nodes", 2, "inputs", "a/b"]) // "/nodes/2/inputs/a~1b"
 */
export function toPointer(path: readonly (string | number)[]): string {
  let out = "";
  for (const segment of path) out += `/${escapeSegment(segment)}`;
  return out;
}

/**
 * Splits a pointer into its unescaped segments; `""` is the whole document.
 * @example parsePointer("/nodes/2/id") // ["nodes", "2", "id"]
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map(unescapeSegment);
}

/** Appends segments to a pointer. */
export function childPointer(base: string, ...path: (string | number)[]): string {
  return base + toPointer(path);
}
