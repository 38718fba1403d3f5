import fc from "fast-check";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { stringify, type ToStringOptions } from "yaml";
import { readFixtures } from "../../test/flows.ts";
import { type LoadedSource, loadFlowSource, loadSource, MAX_ALIAS_COUNT, MAX_DEPTH } from "./load.ts";
import { loadYaml } from "./yaml.ts";
import { fastYamlDocument, loadYamlFast } from "./yaml-fast.ts";

/**
 * The fast YAML path (js-yaml, positions on demand) must be invisible: for any text, `loadFlowSource` gives the
 * same document, diagnostics and positions as the `yaml` package alone. Random values dumped by both libraries
 * in many styles, random edits of those texts and of the valid fixtures (4,500 texts, about 8 s on 2 busy cores;
 * `FAST_PATH_RUNS=n` multiplies them).
 */

/** Run multiplier for a deeper search: `FAST_PATH_RUNS=20 npx vitest run --project node flows/load/fast-path`. */
const SCALE = Number(process.env.FAST_PATH_RUNS ?? 1);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const fast = (text: string, file = "f.yaml"): LoadedSource => loadSource(text, file, loadYamlFast);
const slow = (text: string, file = "f.yaml"): LoadedSource => loadSource(text, file, loadYaml);

/** Every pointer of a document (capped), to compare `locate` of values, keys and string characters. */
function pointersOf(value: unknown, base = "", out: string[] = []): string[] {
  if (out.length > 40) return out;
  out.push(base);
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      pointersOf(v, `${base}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`, out);
    }
  }
  return out;
}

const at = (value: unknown, pointer: string): unknown => {
  let v = value as Record<string, unknown> | undefined;
  for (const s of pointer.split("/").slice(1)) {
    v = v?.[s.replaceAll("~1", "/").replaceAll("~0", "~")] as Record<string, unknown> | undefined;
  }
  return v;
};

/** Texts that took the fast path, over all texts compared (per group), to show the property is not vacuous. */
const COVERAGE = new Map<string, { fast: number; all: number }>();

/** What a loaded source shows: its document, its diagnostics, and the positions of every value and key. */
function view(source: LoadedSource, pointers: readonly string[], document: unknown): unknown[] {
  const positions = pointers.map((pointer) => {
    const value = at(document, pointer);
    const index = typeof value === "string" && value.length > 0 ? value.length >> 1 : undefined;
    return [
      source.locate(pointer),
      source.locate(pointer, { key: true }),
      index === undefined ? null : source.locate(pointer, { index }),
    ];
  });
  return [source.document, source.diagnostics, positions, source.locate("/no/such/thing")];
}

/** Compares both paths on one text; returns a description of the difference, if any. */
function difference(text: string, group: string): string | undefined {
  const a = fast(text);
  const b = slow(text);
  const count = COVERAGE.get(group) ?? { fast: 0, all: 0 };
  count.all++;
  if (fastYamlDocument(text)) count.fast++;
  COVERAGE.set(group, count);
  const pointers = pointersOf(b.document);
  try {
    expect(view(a, pointers, b.document)).toStrictEqual(view(b, pointers, b.document));
    return undefined;
  } catch (error) {
    const show = (s: LoadedSource) => JSON.stringify([s.document, s.diagnostics]);
    const message = error instanceof Error ? error.message : String(error);
    return `${message}\nfast: ${show(a)}\nslow: ${show(b)}\n--- text ---\n${JSON.stringify(text)}`;
  }
}

const same = (group: string) => (text: string) => {
  const found = difference(text, group);
  if (found) throw new Error(found);
};

// --- Values ----------------------------------------------------------------------------------------

const TRICKY_STRINGS = [
  "",
  " ",
  "  lead",
  "trail  ",
  "yes",
  "no",
  "on",
  "off",
  "y",
  "Null",
  "~",
  "true",
  "False",
  "0o17",
  "0x1F",
  "017",
  "1e3",
  "1e400",
  ".inf",
  "-.Inf",
  ".nan",
  "1_000",
  "12:30",
  "2001-12-14",
  "<<",
  "-",
  "- x",
  "? x",
  "?",
  ": x",
  "a: b",
  "a #b",
  "#c",
  "&a",
  "*a",
  "!t",
  "!!str",
  "%YAML 1.2",
  "---",
  "...",
  "[a, b]",
  "{a: b}",
  "]",
  "}",
  ",",
  "|",
  ">",
  "@x",
  "`x`",
  '"',
  "'",
  "it's",
  'say "hi"',
  "\\",
  "a\nb",
  "a\n\nb",
  "\n",
  "line\n  indented\n",
  "trailing\n\n",
  "tab\there",
  "cr\r\nlf",
  "é ü ß 日本",
  "emoji 😀",
  "\u0085 \u2028 \u2029",
  "\u00a0nbsp",
  "\ufeffbom",
  "\u0007bell",
  "${{ trigger.body }}",
  "Hello, ${{ trigger.body.name }}!",
  "${{ a ? b : c }}",
  "${{ x != null && !y }}",
  "*/15 9-17 * * MON-FRI",
  "x".repeat(1100),
];

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...TRICKY_STRINGS.slice(0, 60), "a", "b", " ", "\n"), { maxLength: 4 })
      .map((parts) => parts.join("")),
  },
);

const number: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1e21, 2 ** 53 + 2, 1e300, 5e-324, Number.MAX_VALUE),
);

const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("id", "kind", "inputs", "config", "a", "b", "x-y", "__proto__") },
  { weight: 2, arbitrary: text },
);

const value: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<Json>(null, true, false),
    number,
    text,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Flow documents are mappings; the other roots are rarer. */
const root: fc.Arbitrary<Json> = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 }) },
  { weight: 1, arbitrary: value },
);

// --- Dump styles ------------------------------------------------------------------------------------

const YAML_STYLES: ToStringOptions[] = [
  {},
  { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" },
  { defaultStringType: "QUOTE_SINGLE" },
  { defaultStringType: "BLOCK_LITERAL" },
  { defaultStringType: "BLOCK_FOLDED", lineWidth: 20, minContentWidth: 0 },
  { collectionStyle: "flow" },
  { collectionStyle: "flow", lineWidth: 30, flowCollectionPadding: false },
  { indent: 4, indentSeq: false },
  { lineWidth: 16, minContentWidth: 0 },
  { doubleQuotedAsJSON: true, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "QUOTE_DOUBLE" },
];

const JS_YAML_STYLES: Parameters<typeof dump>[1][] = [
  {},
  { flowLevel: 0 },
  { flowLevel: 1, flowBracketPadding: true },
  { flowLevel: 2, flowSkipCommaSpace: true },
  { forceQuotes: true, quoteStyle: "double" },
  { forceQuotes: true, quoteStyle: "single" },
  { indent: 3, seqNoIndent: true },
  { lineWidth: 20 },
  { lineWidth: -1, seqInlineFirst: false },
  { flowLevel: 0, quoteFlowKeys: true, flowSkipColonSpace: true },
];

/**
 * A value written as YAML by one of the two libraries in one of their styles, one time in ten with CRLF line
 * ends (undefined if it cannot be written).
 */
function dumped(v: Json, library: number, style: number): string | undefined {
  try {
    const out =
      library === 0
        ? stringify(v, YAML_STYLES[style % YAML_STYLES.length])
        : dump(v, { ...JS_YAML_STYLES[style % JS_YAML_STYLES.length], noRefs: true });
    return style % 10 === 9 ? out.replaceAll("\n", "\r\n") : out;
  } catch {
    return undefined;
  }
}

// --- Edits ------------------------------------------------------------------------------------------

const INSERTS = [
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  ":",
  ": ",
  "- ",
  "-",
  "#",
  " #",
  "'",
  '"',
  "[",
  "]",
  "{",
  "}",
  ",",
  "? ",
  "&a ",
  "*a",
  "!x ",
  "!!str ",
  "|",
  ">-",
  "%",
  "---\n",
  "...\n",
  "<<: ",
  "\\",
  "~",
  ".inf",
  "1e400",
  "x",
  "é",
  "\ufeff",
  "\u0000",
];

type Edit = { kind: number; at: number; insert: number; length: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.nat(6),
  at: fc.nat(),
  insert: fc.nat(INSERTS.length - 1),
  length: fc.integer({ min: 1, max: 6 }),
});

/** Applies textual edits: insert, delete, duplicate or swap lines, indent or dedent a line. */
function edited(source: string, edits: readonly Edit[]): string {
  let s = source;
  for (const e of edits) {
    const p = s.length === 0 ? 0 : e.at % (s.length + 1);
    const lines = s.split("\n");
    const l = e.at % lines.length;
    switch (e.kind) {
      case 0:
      case 1:
        s = s.slice(0, p) + INSERTS[e.insert] + s.slice(p);
        break;
      case 2:
        s = s.slice(0, p) + s.slice(p + e.length);
        break;
      case 3:
        lines.splice(l, 0, lines[l]!);
        s = lines.join("\n");
        break;
      case 4:
        if (l + 1 < lines.length) [lines[l], lines[l + 1]] = [lines[l + 1]!, lines[l]!];
        s = lines.join("\n");
        break;
      case 5:
        lines[l] = " ".repeat(e.length % 3) + lines[l];
        s = lines.join("\n");
        break;
      default:
        lines[l] = lines[l]!.replace(/^ {1,2}/, "");
        s = lines.join("\n");
    }
  }
  return s;
}

const FIXTURES = readFixtures("valid").filter((f) => !f.file.endsWith(".json"));

/** Hand-picked corner cases of YAML syntax (several of them once took the fast path wrongly). */
const CORNER_CASES: readonly string[] = [
  "a: b\n  c\n",
  "a: b\nc\n",
  "a:\n- 1\n- 2\n",
  "a:\n  - 1\n - 2\n",
  "a: 'x\n\n  y'\n",
  'a: "x\\\n  y"\n',
  'a: "\\N\\_\\L\\P\\e\\0\\a\\v\\/\\ "\n',
  'a: "\\x41\\u0041\\U00000041"\n',
  'a: "\\q"\n',
  "a: 'it''s'\n",
  "a: x # c\nb: y#z\n",
  "a: x #c\n#d\n  #e\nb: 1\n",
  "a: [1, 2,]\n",
  "a: {b: 1,}\n",
  "a: [1,, 2]\n",
  "a: {,}\n",
  "a: [b: c]\n",
  "a: [b: c, d]\n",
  "a: {b}\n",
  "a: {b: }\n",
  "a: {b:c}\n",
  'a: {"b":c}\n',
  "a: [b:c]\n",
  "a: {b: [c, {d: e}]}\n",
  "a: >\n  x\n\n  y\n   z\n  w\n",
  "a: |-\n  x\n\n",
  "a: |\n\n  x\n",
  "a: >-\n\n  x\n  y\n",
  "a: |\n  x\n b: 1\n",
  "a: |\n   x\n  y\n",
  "a: |  # comment\n  x\n",
  "a: |x\n  y\n",
  "- |\n  a\n- >\n  b\n",
  "a:    \n  b\n",
  "a:\n\n  b: 1\n",
  "a: -\n",
  "a: - 1\n",
  "- - - a\n",
  "-\n  a\n",
  "- \n  - a\n",
  "a:\n  -\n    b\n",
  "a: b: c\n",
  "a: 'b': c\n",
  "'a': b\n'c' : d\n",
  '"a"  : b\n',
  "a :b\n",
  "a : b\n",
  "a  :  b  \n",
  "? \n",
  ":\n",
  ": a\n",
  'a: "x"y\n',
  "a: 'x'y\n",
  "a: [x]y\n",
  "a: {x: 1}y\n",
  "a: [x] # c\n",
  "a: [x]#c\n",
  'a: "b" # c\n',
  "a: 1\n b: 2\n",
  "  a: 1\n  b: 2\n",
  "  a: 1\nb: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: \n  b: 1\n  c\n",
  "a: %x\n",
  "a: @x\n",
  "a: `x\n",
  "a: x%\n",
  "a: |\n  %x\n",
  "%x: 1\n",
  "- %x\n",
  "a: ---\n",
  "a: ...\n",
  "a: |\n  ---\n",
  "a: |\n  ...\n",
  "---\n",
  "--- \n",
  "---\na: 1\n",
  "---a: 1\n",
  "--- a\n",
  "--- |\n  x\n",
  "--- [1]\n",
  "--- {a: 1}\n",
  "--- a: 1\n",
  "# c\n---\na: 1\n",
  "a: 1 \n",
  "a: 1\n\n\n",
  "a: 1",
  "a:",
  "a",
  "",
  " ",
  "\n",
  "[",
  "]",
  "{a: 1",
  "a: [1\n",
  "a: [\n1]\n",
  "a: [\n  1]\n",
  "a:\n  [1,\n  2]\n",
  "a:\n  [1,\n 2]\n",
  "a: {\n  b: 1}\n",
  "a: { b: 1,\n  c: 2 }\n",
  "a: [1, 2\n  , 3]\n",
  "a: 'x\n y'\n",
  "a: 'x\ny'\n",
  "  a: 'x\n y'\n",
  "a:\n  b: 'x\n  y'\n",
  "a:\n  b: 'x\n y'\n",
  "a: x\n  y\n   z\n",
  "a:\n  b: x\n  y\n",
  "a:\n  b: x\n   y\n",
  "- a\n  b\n",
  "- a\n b\n",
  "a: x\n\n  y\n",
  "a: 1\na : 2\n",
  'a: 1\n"a": 2\n',
  "1: a\n01: b\n",
  "1: a\n'1': b\n",
  "true: a\nTrue: b\n",
  "1.0: a\n1: b\n",
  "0x1: a\n1: b\n",
  "null: a\n",
  "'null': a\n",
  "a: !!str 1\n",
  "a: ! x\n",
  "a: &x\n",
  "a: *\n",
  "a: x&y\n",
  "a: x*y\n",
  "a: x!y\n",
  "a: a & b\n",
  "a: ${{ a && b }}\n",
  "a: ${{ !b }}\n",
  "a: ${{ a ? b : c }}\n",
  "a: x: y\n",
  "a: x:y\n",
  "a: x :y\n",
  "a: http://x:80/y\n",
  "a: x,y\n",
  "[a,b]: c\n",
  "[a, b:c]\n",
  "[a, b: c]\n",
  "{a: [b, c]: d}\n",
  "[a: b: c]\n",
  "a: 'x' \n",
  'a: "x"\t\n',
  "a: x\u00a0\n",
  "a:\u00a0x\n",
  "a\u00a0: x\n",
  "a: x\u2028y\n",
  'a: "x\u2028y"\n',
  "a: x\u0085y\n",
  "a: 1e\n",
  "a: 1.5.5\n",
  "a: .5e3\n",
  "a: +.5\n",
  "a: -.inf\n",
  "a: 0x\n",
  "a: 0xG\n",
  "a: 0o8\n",
  "a: 0b2\n",
  "a: 1__1\n",
  "a: 12e+\n",
  "a: -\n",
  "a: +\n",
  "a:\n  - b\n  -c\n",
  "a:\n  - b\n  - - c\n    - d\n",
  "a:\n- b\nc: d\n",
  "a:\n  - b\n c: d\n",
  "- a: 1\n  - b\n",
  "- a: 1\n - b\n",
  "-a\n",
  "- a\n-b\n",
  'a: "multi\n  line\n\n  para"\n',
  'a: "x\\\n\n  y"\n',
  "a: 'x\n\n\n  y'\n",
  'a: "  x  "\n',
  'a: ""\n',
  "a: ''\n",
  "'': a\n",
  '"": a\n',
  "a: b\n#\n",
  "#\na: b\n",
  "a: b # \n",
  "a: b #\u00e9\n",
  "a:\n  # c\n  b: 1\n",
  "a:\n# c\n  b: 1\n",
  "a:\n  b: 1\n# c\n  c: 2\n",
  "a: |\n  x\n# c\n",
  "a: |\n  x\n  # not a comment\n",
  "a: >\n\n\n  x\n",
  "a: >\n  x\n\n\n",
  "a: |\n  x\n\n\n",
  "a: |-\n  x\n\n\n",
  "a: >-\n  a\n  b\n\n  c\n",
  "a: >\n  a\n    b\n  c\n",
  "a: >\n   a\n  b\n",
  "a: |\n  x\n  \n  y\n",
  "a: |\n  x\n   \n  y\n",
  "a: |\n  x\n    \n",
  "a: |\n   \n  x\n",
  "a: |\n  \n   x\n",
  "a: >\n  \n   x\n",
  "a: |\n x\n",
  "a: |\nx\n",
  "- |\n x\n",
  "- |\n  x\n -\n",
  `${"x".repeat(1020)}: 1\n`,
  `"${"x".repeat(1020)}": 1\n`,
  `a: ${"x".repeat(5000)}\n`,
];

// --- Properties -------------------------------------------------------------------------------------

describe("fast YAML path ≡ yaml path", () => {
  it("on random values dumped by `yaml` and js-yaml in 20 styles", { timeout: 30_000 * SCALE }, () => {
    fc.assert(
      fc.property(root, fc.nat(1), fc.nat(99), (v, library, style) => {
        const t = dumped(v, library, style);
        if (t !== undefined) same("dumped")(t);
      }),
      { numRuns: 2_000 * SCALE },
    );
  });

  it("on random edits of dumped values", { timeout: 30_000 * SCALE }, () => {
    fc.assert(
      fc.property(
        root,
        fc.nat(1),
        fc.nat(99),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (v, l, s, e) => {
          const t = dumped(v, l, s);
          if (t !== undefined) same("dumped+edited")(edited(t, e));
        },
      ),
      { numRuns: 1_500 * SCALE },
    );
  });

  it("on random edits of the valid fixtures", { timeout: 30_000 * SCALE }, () => {
    fc.assert(
      fc.property(fc.nat(FIXTURES.length - 1), fc.array(edit, { minLength: 1, maxLength: 4 }), (f, e) => {
        same("fixtures+edited")(edited(FIXTURES[f]!.text, e));
      }),
      { numRuns: 1_000 * SCALE },
    );
  });

  it("on hand-picked corner cases", () => {
    for (const text of CORNER_CASES) same("corner cases")(text);
  });

  it("on the valid fixtures, through the fast path", () => {
    for (const { text } of FIXTURES) {
      expect(fastYamlDocument(text)).toBeDefined();
      same("fixtures")(text);
    }
  });

  it("takes the fast path for most valid texts (the property is not vacuous)", () => {
    const share = (group: string): number => COVERAGE.get(group)!.fast / COVERAGE.get(group)!.all;
    // About 85 %, 40 % and 25 % (most edits break the text, and broken texts take the slow path).
    expect(share("dumped")).toBeGreaterThan(0.7);
    expect(share("dumped+edited")).toBeGreaterThan(0.25);
    expect(share("fixtures+edited")).toBeGreaterThan(0.15);
  });
});

describe("fast YAML path: what it leaves to the yaml path", () => {
  const codes = (s: LoadedSource) => s.diagnostics.map((d) => [d.code, d.line, d.column]);

  it("aliases take the slow path and are still limited", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${"*a, ".repeat(10)}*a]\nc: [${"*b, ".repeat(10)}*b]\n`;
    expect(fastYamlDocument(bomb)).toBeUndefined();
    const result = loadFlowSource(bomb, "bomb.yaml");
    expect(codes(result)).toEqual([["FLOW_ALIAS_LIMIT", 2, 8]]);
    expect(result.diagnostics[0]!.message).toContain(`more than ${MAX_ALIAS_COUNT}`);
    expect(fastYamlDocument("a: &x 1\nb: *x\n")).toBeUndefined();
    expect(loadFlowSource("a: &x 1\nb: *x\n", "ok.yaml").document).toEqual({ a: 1, b: 1 });
  });

  it("duplicate keys give FLOW_DUPLICATE_KEY at the second key", () => {
    const text = "flows: 1\nnodes:\n  - id: a\n    kind: transform\n    kind: log\n";
    expect(fastYamlDocument(text)).toBeUndefined();
    expect(codes(loadFlowSource(text, "d.yaml"))).toEqual([["FLOW_DUPLICATE_KEY", 5, 5]]);
    expect(codes(loadFlowSource("a: 1\n'a': 2\n", "d.yaml"))).toEqual([["FLOW_DUPLICATE_KEY", 2, 1]]);
  });

  it("non-finite and overflowing numbers give FLOW_UNSUPPORTED_VALUE", () => {
    for (const [text, line, column] of [
      ["a: 1\nb: .inf\n", 2, 4],
      ["a:\n  - -.Inf\n", 2, 5],
      ["a: .NaN\n", 1, 4],
      ["a: [1, 1e400]\n", 1, 8],
      [`a: ${"9".repeat(400)}\n`, 1, 4],
    ] as const) {
      expect(fastYamlDocument(text)).toBeUndefined();
      expect(codes(loadFlowSource(text, "n.yaml"))).toEqual([["FLOW_UNSUPPORTED_VALUE", line, column]]);
    }
    expect(loadFlowSource("a: '.inf'\nb: 1e300\n", "ok.yaml").document).toEqual({ a: ".inf", b: 1e300 });
  });

  it("reads YAML 1.2 core exactly: no timestamps, binary, sets or 1.1 booleans; 0o octal", () => {
    const text = "a: yes\nb: off\nc: 0o17\nd: 010\ne: 2001-12-14\nf: 0x1F\ng: 1_000\nh: ~\ni: 0b1\nj: 1.\n";
    expect(fastYamlDocument(text)?.document).toStrictEqual({
      a: "yes",
      b: "off",
      c: 15,
      d: 10,
      e: "2001-12-14",
      f: 31,
      g: "1_000",
      h: null,
      i: "0b1",
      j: 1,
    });
    same("targeted")(text);
  });

  it("leaves tags, merge keys, explicit keys, directives, several documents and odd keys to the yaml path", () => {
    for (const text of [
      "a: !!binary aGk=\n",
      "a: !custom x\n",
      "s: !!set { a, b }\n",
      "base: { x: 1 }\nc:\n  <<: { x: 2 }\n",
      "? a\n: b\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\n---\nb: 2\n",
      "a: 1\n...\n",
      "~: 1\n",
      "[a]: 1\n",
      "a: [\n  1\n]\n",
      "a:\tb\n",
      `${"k".repeat(1100)}: 1\n`,
      "# only a comment\n",
      "",
      `a: ${"[".repeat(MAX_DEPTH + 1)}${"]".repeat(MAX_DEPTH + 1)}\n`,
    ]) {
      expect(fastYamlDocument(text), JSON.stringify(text)).toBeUndefined();
      same("targeted")(text);
    }
  });

  it("positions are computed only when asked for, and are exact", () => {
    const text = "flows: 1\nid: demo\nnodes:\n  - id: a\n    kind: transform\n";
    const source = loadFlowSource(text, "demo.yaml");
    expect(source.diagnostics).toEqual([]);
    expect(source.locate("/nodes/0/kind")).toEqual({ line: 5, column: 11 });
    expect(source.locate("/nodes/0/kind", { key: true })).toEqual({ line: 5, column: 5 });
    expect(source.locate("/nodes/3")).toEqual({ line: 4, column: 3 });
  });

  it("nesting: as deep as the yaml path allows on the fast path, one level more on the slow one", () => {
    const nested = (levels: number) => `a: ${"[".repeat(levels)}1${"]".repeat(levels)}\n`;
    expect(fastYamlDocument(nested(MAX_DEPTH))).toBeDefined();
    same("targeted")(nested(MAX_DEPTH));
    expect(fastYamlDocument(nested(MAX_DEPTH + 1))).toBeUndefined();
    expect(codes(loadFlowSource(nested(MAX_DEPTH + 1), "deep.yaml"))).toEqual([
      ["FLOW_UNSUPPORTED_VALUE", 1, MAX_DEPTH + 4],
    ]);
  });

  it("a root that is not a mapping is located through the lazy parse", () => {
    for (const text of ["- 1\n", "42\n", "--- hello\n", "---\n"]) same("targeted")(text);
    expect(codes(loadFlowSource("  - 1\n", "l.yaml"))).toEqual([["FLOW_ROOT_NOT_OBJECT", 1, 3]]);
  });
});
