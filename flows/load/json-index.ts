import { parsePointer } from "./pointer.ts";

/** Where a JSON value sits in the text, and its children (object entries or array items). */
export interface JsonNode {
  start: number;
  end: number;
  /** Offset of the entry's key (a quoted string), for object entries. */
  keyStart?: number;
  children?: Map<string, JsonNode> | JsonNode[];
}

export interface JsonIndex {
  root: JsonNode;
  duplicates: { offset: number; key: string }[];
  /** Offset where nesting first went deeper than the limit, if it did. */
  tooDeep?: number;
}

const SPACE = new Set([32, 9, 10, 13]);
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Indexes the positions of a text that JSON.parse accepted: value and key offsets by path, and duplicate
 * keys (JSON.parse keeps the last silently). Stops at `maxDepth` levels of nesting.
 */
export function indexJson(text: string, maxDepth: number): JsonIndex {
  const duplicates: { offset: number; key: string }[] = [];
  let tooDeep: number | undefined;
  let p = 0;
  const ws = (): void => {
    while (p < text.length && SPACE.has(text.charCodeAt(p))) p++;
  };
  const skipString = (): void => {
    p++;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === QUOTE || Number.isNaN(c)) break;
      p += c === BACKSLASH ? 2 : 1;
    }
    p++;
  };
  const value = (depth: number): JsonNode => {
    ws();
    const start = p;
    const c = text[p];
    if ((c === "{" || c === "[") && depth >= maxDepth) {
      tooDeep ??= p;
      p = text.length;
      return { start, end: p };
    }
    if (c === "{") {
      p++;
      const children = new Map<string, JsonNode>();
      ws();
      while (p < text.length && text[p] !== "}") {
        ws();
        const keyStart = p;
        skipString();
        const raw = text.slice(keyStart, p);
        const key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        ws();
        p++; // ':'
        const child = value(depth + 1);
        child.keyStart = keyStart;
        if (children.has(key)) duplicates.push({ offset: keyStart, key });
        children.set(key, child);
        ws();
        if (text[p] === ",") p++;
      }
      p++;
      return { start, end: p, children };
    }
    if (c === "[") {
      p++;
      const children: JsonNode[] = [];
      ws();
      while (p < text.length && text[p] !== "]") {
        children.push(value(depth + 1));
        ws();
        if (text[p] === ",") p++;
      }
      p++;
      return { start, end: p, children };
    }
    if (c === '"') skipString();
    else while (p < text.length && !SPACE.has(text.charCodeAt(p)) && !",]}".includes(text[p]!)) p++;
    return { start, end: p };
  };
  const root = value(0);
  return { root, duplicates, tooDeep };
}

/** The offset of the value (or key) at a pointer, or of its nearest existing ancestor. */
export function jsonOffset(
  text: string,
  root: JsonNode,
  pointer: string,
  key: boolean,
  index?: number,
): number {
  let node = root;
  for (const segment of parsePointer(pointer)) {
    const children = node.children;
    const next = Array.isArray(children) ? children[Number(segment)] : children?.get(segment);
    if (!next) return node.start;
    node = next;
  }
  if (key && node.keyStart !== undefined) return node.keyStart;
  if (index !== undefined && text[node.start] === '"') return offsetInJsonString(text, node.start, index);
  return node.start;
}

/** Offset of the `index`-th UTF-16 unit of the JSON string starting at `start` (its opening quote). */
function offsetInJsonString(text: string, start: number, index: number): number {
  let p = start + 1;
  for (let i = 0; i < index; i++) {
    if (text.charCodeAt(p) === QUOTE) return p;
    p += text.charCodeAt(p) === BACKSLASH ? (text[p + 1] === "u" ? 6 : 2) : 1;
  }
  return p;
}
