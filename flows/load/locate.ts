import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { parsePointer } from "./pointer.ts";

/** Where a pointer leads in the YAML tree: the value node, or the key of a mapping entry. */
interface Found {
  node?: Node | null;
  key?: Node | null;
  /** The deepest node reached when the pointer goes further than the document. */
  fallback: number;
}

const keyText = (key: unknown): string => {
  if (isScalar(key)) return String(key.value);
  return String(key);
};

const startOf = (node: unknown): number | undefined => {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
};

/** Walks a JSON pointer down the YAML tree (through aliases). */
function walk(doc: Document, pointer: string): Found {
  let node: unknown = doc.contents;
  let key: Node | null | undefined;
  let fallback = startOf(node) ?? 0;
  for (const segment of parsePointer(pointer)) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    key = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === segment);
      if (!pair) return { fallback };
      key = pair.key as Node | null;
      next = pair.value;
      fallback = startOf(key) ?? fallback;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
      if (next === undefined) return { fallback };
    } else {
      return { fallback };
    }
    node = next;
    const start = startOf(node);
    if (
      start !== undefined &&
      !(isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])
    ) {
      fallback = start;
    }
  }
  return { node: node as Node | null, key, fallback };
}

/**
 * Source offset of the value at `pointer`, of its mapping key (`key: true`), or of the character at `index`
 * inside a string value. Falls back to the nearest existing ancestor.
 */
export function offsetOf(doc: Document, src: string, pointer: string, key = false, index?: number): number {
  const found = walk(doc, pointer);
  if (key && found.key) return startOf(found.key) ?? found.fallback;
  const node = isAlias(found.node) ? found.node.resolve(doc) : found.node;
  if (index !== undefined && isScalar(node) && typeof node.value === "string" && node.range) {
    return offsetInScalar(src, node as Scalar<string>, index);
  }
  return found.fallback;
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

function skipSpaces(src: string, p: number, end: number): number {
  while (p < end && isSpace(src[p])) p++;
  return p;
}

/** Length of a YAML double-quoted escape starting at `p` (a backslash). */
function escapeLength(src: string, p: number): number {
  const next = src[p + 1];
  if (next === "x") return 4;
  if (next === "u") return 6;
  if (next === "U") return 10;
  return 2;
}

/**
 * Maps an index inside a scalar's string value to an offset in the source, for every scalar style: plain
 * and quoted (escapes, `''`), single or multi-line (folding), literal and folded blocks. Value characters are
 * matched to source characters in order; whitespace produced by folding matches any run of source whitespace.
 */
export function offsetInScalar(src: string, scalar: Scalar<string>, index: number): number {
  const [start, end] = scalar.range as [number, number, number];
  const type = scalar.type;
  const value = scalar.value;
  let p = start;
  if (type === "QUOTE_DOUBLE" || type === "QUOTE_SINGLE") p = start + 1;
  else if (type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED") {
    const nl = src.indexOf("\n", start);
    p = nl === -1 || nl >= end ? end : nl + 1;
  }
  let previous = p;
  // An astral escape (\U) yields two UTF-16 units: the second maps to the same escape.
  let pending = -1;
  for (let i = 0; i <= index && i < value.length; i++) {
    const c = value[i]!;
    let at = pending;
    pending = -1;
    while (at === -1 && p < end) {
      const s = src[p];
      if (type === "QUOTE_DOUBLE" && s === "\\") {
        if (src[p + 1] === "\n" || src[p + 1] === "\r") {
          p = skipSpaces(src, p + 1, end);
          continue;
        }
        at = p;
        if (src[p + 1] === "U" && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdbff) pending = p;
        p += escapeLength(src, p);
      } else if (type === "QUOTE_SINGLE" && s === "'" && src[p + 1] === "'") {
        at = p;
        p += 2;
      } else if (s === c) {
        at = p++;
      } else if (isSpace(s)) {
        if (isSpace(c)) {
          at = p;
          p = skipSpaces(src, p, end);
        } else p++;
      } else {
        // Out of step (should not happen): stop at the best position found so far.
        return previous;
      }
    }
    if (at === -1) return previous;
    if (i === index) return at;
    previous = at;
  }
  return index >= value.length ? Math.min(p, end) : previous;
}
