import {
  COLLECTION_STYLE,
  CORE_SCHEMA,
  constructFromEvents,
  defineMappingTag,
  EVENT_ID,
  type Event,
  floatCoreTag,
  intCoreTag,
  mapTag,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  type ScalarEvent,
  type Schema,
} from "js-yaml";
import type { Document } from "yaml";
import { type LoadReport, MAX_DEPTH, type Parsed } from "./load.ts";
import { offsetOf } from "./locate.ts";
import { loadYaml, parseYamlDocument } from "./yaml.ts";

/**
 * The fast YAML path. js-yaml (about 10 times faster than the `yaml` package) parses the text; the `yaml`
 * package, which keeps the source ranges, only runs when a position is asked for (`locate`, that is when a
 * diagnostic is reported). js-yaml is trusted only where it is known to give the very same document as the
 * `yaml` path with no diagnostic at all; anything else (an error, a construct that one of the two parsers
 * reads differently or reports, a value the slow path rejects) goes to `loadYaml`, whose diagnostics are the
 * reference. See `fast-path.test.ts` for the equivalence property.
 */

/** Thrown from inside js-yaml to leave the fast path. */
class NotFast extends Error {}

const notFast = (why: string): never => {
  throw new NotFast(why);
};

/** Integers and floats of the core schema: a plain scalar like this that js-yaml did not resolve overflowed. */
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

let schema: Schema | undefined;

/**
 * YAML 1.2 core schema as the slow path reads it (no timestamps, binary, sets or merge keys; `yes`/`on` are
 * strings), except that js-yaml stops where the two would differ: `.inf`, `.nan` and numbers too large for a
 * double (the slow path reports them), and keys that are null, lists or mappings (`yaml` makes `null` the key
 * `""`, js-yaml `"null"`).
 */
function fastSchema(): Schema {
  schema ??= CORE_SCHEMA.withTags(
    defineMappingTag<Record<string, unknown>>("tag:yaml.org,2002:map", {
      create: () => ({}),
      addPair: (map, key, value) =>
        typeof key === "string" || typeof key === "number" || typeof key === "boolean"
          ? mapTag.addPair(map, key, value)
          : notFast("a key that is not a string, a number or a boolean"),
      has: mapTag.has,
      keys: mapTag.keys,
      get: mapTag.get,
      identify: mapTag.identify,
    }),
    {
      ...intCoreTag,
      resolve: (source, explicit, tag) => {
        const value = intCoreTag.resolve(source, explicit, tag);
        return value === NOT_RESOLVED && INT.test(source) ? notFast("an integer out of range") : value;
      },
    },
    {
      ...floatCoreTag,
      resolve: (source, explicit, tag) => {
        const value = floatCoreTag.resolve(source, explicit, tag);
        if (value === NOT_RESOLVED) return FLOAT.test(source) ? notFast("a float out of range") : value;
        return Number.isFinite(value) ? value : notFast("a number that is not finite");
      },
    },
  );
  return schema;
}

const NEWLINE = 10;
const RETURN = 13;
const SPACE = 32;
const DASH = 45;

/** Whether `text[i]` ends a token: a space, a line break or the end of the text. */
const ends = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c === SPACE || c === NEWLINE || c === RETURN || Number.isNaN(c);
};

/**
 * Whether a cheap conservative scan finds something the fast path leaves to the `yaml` package (a false
 * positive only costs speed; a few `indexOf` loops, well under a millisecond for 200 KB). Each rule is a place
 * where the two parsers were seen to differ, or could:
 * - tabs: they disagree on some tab separations and indentations;
 * - a byte order mark: `yaml` rejects some documents that start with one;
 * - a carriage return that does not end a line: `yaml` reads it as text, js-yaml as a line break;
 * - an escaped line break followed by an empty line in a double-quoted string (`"a\⏎⏎b"`): folded differently;
 * - an explicit key (`? key`) at the start of a line, after `- `, or after `[`, `{`, `,` or `:`;
 * - a block scalar header with an indentation indicator (`|2`, read differently at the top level) or that keeps
 *   the final line breaks (`|+`, read differently with trailing spaces at the end of the file);
 * - and, line by line (`slowLines`), a line that starts with `]` or `}`, and document markers.
 */
function slowText(text: string): boolean {
  if (text.includes("\t") || text.includes("\ufeff")) return true;
  for (let i = text.indexOf("\r"); i !== -1; i = text.indexOf("\r", i + 1)) {
    if (text.charCodeAt(i + 1) !== NEWLINE) return true;
  }
  for (let i = text.indexOf("\\"); i !== -1; i = text.indexOf("\\", i + 1)) {
    if (escapedBreakThenEmptyLine(text, i)) return true;
  }
  for (let i = text.indexOf("?"); i !== -1; i = text.indexOf("?", i + 1)) {
    if (ends(text, i + 1) && explicitKey(text, i)) return true;
  }
  for (const indicator of ["|", ">"]) {
    for (let i = text.indexOf(indicator); i !== -1; i = text.indexOf(indicator, i + 1)) {
      if (headerWithIndicators(text, i)) return true;
    }
  }
  return slowLines(text);
}

function escapedBreakThenEmptyLine(text: string, backslash: number): boolean {
  let p = backslash + 1;
  if (text.charCodeAt(p) === RETURN) p++;
  if (text.charCodeAt(p) !== NEWLINE) return false;
  p++;
  while (text.charCodeAt(p) === SPACE) p++;
  return text.charCodeAt(p) === NEWLINE || text.charCodeAt(p) === RETURN;
}

/** Whether the `?` at `q` (followed by a space) starts a line, follows `- ` or a flow indicator. */
function explicitKey(text: string, q: number): boolean {
  let p = q - 1;
  let spaces = 0;
  for (; p >= 0 && text.charCodeAt(p) === SPACE; p--) spaces++;
  if (p < 0 || text.charCodeAt(p) === NEWLINE || "[{,:".includes(text[p]!)) return true;
  while (spaces > 0 && text.charCodeAt(p) === DASH) {
    p--;
    spaces = 0;
    for (; p >= 0 && text.charCodeAt(p) === SPACE; p--) spaces++;
    if (p < 0 || text.charCodeAt(p) === NEWLINE) return true;
  }
  return false;
}

/** Whether the `|` or `>` at `i` is a block scalar header with an indentation indicator or `+`. */
function headerWithIndicators(text: string, i: number): boolean {
  if (i > 0 && text.charCodeAt(i - 1) !== SPACE && text.charCodeAt(i - 1) !== NEWLINE) return false;
  const digit = (p: number): boolean => text[p]! >= "1" && text[p]! <= "9";
  let p = i + 1;
  if (digit(p)) p += text[p + 1] === "-" || text[p + 1] === "+" ? 2 : 1;
  else if (text[p] === "+") p += digit(p + 1) ? 2 : 1;
  else if (text[p] === "-" && digit(p + 1)) p += 2;
  else return false;
  return ends(text, p);
}

/**
 * Line by line: a line that starts with `]` or `}` (`yaml` warns when a flow collection ends at its parent's
 * indentation), and document markers (`---`, `...`, even indented: js-yaml takes an indented `---` on the first
 * line for one) except a single `---` at the start of a line before any content.
 */
function slowLines(text: string): boolean {
  let content = false;
  let marker = false;
  for (let start = 0; start < text.length; ) {
    let p = start;
    while (text.charCodeAt(p) === SPACE) p++;
    const c = text[p];
    if (c === "]" || c === "}") return true;
    if ((text.startsWith("---", p) || text.startsWith("...", p)) && ends(text, p + 3)) {
      if (content || marker || p !== start || c === ".") return true;
      marker = true;
    } else if (c !== undefined && c !== "\n" && c !== "\r" && c !== "#") content = true;
    const next = text.indexOf("\n", p);
    if (next === -1) break;
    start = next + 1;
  }
  return false;
}

/** Longest mapping key js-yaml may read (`yaml` rejects implicit keys of more than 1024 characters). */
const MAX_FAST_KEY = 1000;

/**
 * Whether js-yaml's events hold nothing the fast path leaves to the slow one: exactly one document, without
 * directives or `...`; no anchor, alias or tag; no nesting deeper than `MAX_DEPTH`; mapping keys that are short
 * single-line scalars, not `<<`, and, in block mappings, that start their line (after indentation and `- `).
 */
function fastEvents(text: string, events: readonly Event[]): boolean {
  // Open collections (a stack, `depth` high): what each one is, and how many nodes it holds so far (even
  // in a mapping: the next node is a key).
  const kinds = new Uint8Array(MAX_DEPTH + 2);
  const counts = new Uint32Array(MAX_DEPTH + 2);
  let depth = 0;
  let documents = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const type = event.type;
    if (type === EVENT_ID.POP) {
      if (depth > 0) depth--;
      continue;
    }
    if (type === EVENT_ID.DOCUMENT) {
      if (++documents > 1 || event.explicitEnd || event.directives.length > 0) return false;
      continue;
    }
    if (type === EVENT_ID.ALIAS || event.anchorStart !== -1 || event.tagStart !== -1) return false;
    const kind = depth > 0 ? kinds[depth - 1]! : SEQUENCE;
    const isKey = kind !== SEQUENCE && (counts[depth - 1]! & 1) === 0;
    if (depth > 0) counts[depth - 1]!++;
    if (type === EVENT_ID.SCALAR) {
      if (isKey && !fastKey(text, event, kind === BLOCK_MAPPING)) return false;
      continue;
    }
    if (isKey || depth > MAX_DEPTH) return false;
    kinds[depth] =
      type === EVENT_ID.SEQUENCE
        ? SEQUENCE
        : event.style === COLLECTION_STYLE.BLOCK
          ? BLOCK_MAPPING
          : FLOW_MAPPING;
    counts[depth] = 0;
    depth++;
  }
  return documents === 1;
}

const SEQUENCE = 0;
const BLOCK_MAPPING = 1;
const FLOW_MAPPING = 2;

function fastKey(text: string, key: ScalarEvent, inBlock: boolean): boolean {
  const start = key.valueStart;
  const end = key.valueEnd;
  const style = key.style;
  if (style === SCALAR_STYLE.LITERAL_BLOCK || style === SCALAR_STYLE.FOLDED_BLOCK) return false;
  if (end - start > MAX_FAST_KEY) return false;
  if (style === SCALAR_STYLE.PLAIN && end - start === 2 && text.startsWith("<<", start)) return false;
  // A single line (a carriage return is always followed by a line feed here, see `slowText`).
  const lineEnd = text.indexOf("\n", start);
  if (lineEnd !== -1 && lineEnd < end) return false;
  if (!inBlock) return true;
  // Only spaces and sequence dashes before the key on its line (js-yaml accepts `- []'k': v`, `yaml` not).
  for (let p = (style === SCALAR_STYLE.PLAIN ? start : start - 1) - 1; p >= 0; p--) {
    const c = text.charCodeAt(p);
    if (c === NEWLINE) return true;
    if (c !== SPACE && c !== DASH) return false;
  }
  return true;
}

/**
 * The document js-yaml reads from `text`, when the fast path can vouch that the `yaml` path would read the
 * same one without any diagnostic; undefined otherwise.
 */
export function fastYamlDocument(text: string): { document: unknown } | undefined {
  if (slowText(text)) return undefined;
  try {
    const events = parseEvents(text, { maxDepth: MAX_DEPTH + 2 });
    if (!fastEvents(text, events)) return undefined;
    const [document] = constructFromEvents(events, { source: text, schema: fastSchema(), maxAliases: 0 });
    return { document };
  } catch {
    // A syntax error, a duplicate key, or NotFast: the `yaml` path reports it (or reads it) exactly.
    return undefined;
  }
}

/**
 * Loads YAML like `loadYaml`, with the same document and diagnostics, but with js-yaml whenever it can: the
 * `yaml` package then only parses the text the first time a position is asked for.
 */
export function loadYamlFast(text: string, report: LoadReport): Parsed {
  const fast = fastYamlDocument(text);
  if (!fast) return loadYaml(text, report);
  let doc: Document | undefined;
  return {
    document: fast.document,
    offsetOf: (pointer, key, index) => {
      doc ??= parseYamlDocument(text);
      return offsetOf(doc, text, pointer, key, index);
    },
  };
}
