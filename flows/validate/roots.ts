/**
 * Finds uses of the context-bound roots `input`, `item` and `index` in a CEL expression source, with their
 * offsets: they are valid only in some places (config expressions; map templates). A small lexer is enough:
 * it skips string literals, comments and member names (`x.input`), and names bound by a comprehension
 * macro (`list.map(item, item.id)`).
 */

export const RESTRICTED_ROOTS = ["input", "item", "index"] as const;
export type RestrictedRoot = (typeof RESTRICTED_ROOTS)[number];

const MAYBE = /\b(input|item|index)\b/;
const MACROS = new Set([
  "all",
  "exists",
  "exists_one",
  "map",
  "filter",
  "sortBy",
  "transformList",
  "transformMap",
]);

interface Token {
  name: string;
  offset: number;
  /** Preceded by `.` (a member or method name). */
  member: boolean;
}

function identifiers(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let lastSignificant = "";
  while (i < source.length) {
    const c = source[i]!;
    if (c === "/" && source[i + 1] === "/") {
      const nl = source.indexOf("\n", i);
      i = nl === -1 ? source.length : nl;
      continue;
    }
    const quoteMatch = /^([rRbB]{0,2})('''|"""|'|")/.exec(source.slice(i, i + 5));
    if (quoteMatch && (quoteMatch[1] === "" || !/[A-Za-z0-9_]/.test(source[i - 1] ?? ""))) {
      const raw = /r/i.test(quoteMatch[1]!);
      const q = quoteMatch[2]!;
      let j = i + quoteMatch[0].length;
      while (j < source.length && !source.startsWith(q, j)) j += !raw && source[j] === "\\" ? 2 : 1;
      i = j + q.length;
      lastSignificant = '"';
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j]!)) j++;
      out.push({ name: source.slice(i, j), offset: i, member: lastSignificant === "." });
      lastSignificant = "a";
      i = j;
      continue;
    }
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out;
}

/** Names bound by comprehension macros: the first argument of `.map(x, ...)`, `.all(x, ...)`, ... */
function boundNames(source: string, tokens: Token[]): Set<string> {
  const bound = new Set<string>();
  for (let t = 0; t + 1 < tokens.length; t++) {
    const macro = tokens[t]!;
    const variable = tokens[t + 1]!;
    if (!macro.member || !MACROS.has(macro.name)) continue;
    const between = source.slice(macro.offset + macro.name.length, variable.offset);
    const after = source.slice(variable.offset + variable.name.length);
    if (/^\s*\(\s*$/.test(between) && /^\s*,/.test(after)) bound.add(variable.name);
  }
  return bound;
}

/**
 * Uses of `input`, `item` and `index` as root variables in an expression source.
 * @example findRestrictedRoots("input.a + 1") // [{ name: "input", offset: 0 }]
 */
export function findRestrictedRoots(source: string): { name: RestrictedRoot; offset: number }[] {
  if (!MAYBE.test(source)) return [];
  const tokens = identifiers(source);
  const bound = boundNames(source, tokens);
  const out: { name: RestrictedRoot; offset: number }[] = [];
  for (const t of tokens) {
    if (t.member || bound.has(t.name)) continue;
    if ((RESTRICTED_ROOTS as readonly string[]).includes(t.name))
      out.push({ name: t.name as RestrictedRoot, offset: t.offset });
  }
  return out;
}
