import { type Cel, requireCel } from "./cel-loader.ts";
import { astReferences, type NodeReference, parseExpressionAst } from "./expression.ts";

/**
 * The canonical text of an expression: CEL's own printer over the parsed AST, so that two expressions that differ
 * only in whitespace, parentheses CEL does not need, or quote style (`'a'` / `"a"`) print the same. Used to tell a
 * change from a reformatting (`flows/changes`); never evaluated.
 */

/** Node ids to print under another name: the before side's ids of renamed nodes, mapped to the after side's. */
export type NodeRenames = ReadonlyMap<string, string>;

export interface CanonicalExpression {
  /** The printed AST, or the trimmed source when it does not parse. */
  readonly text: string;
  /** False when the source does not parse (the text is then compared as written). */
  readonly parsed: boolean;
  /** Its `nodes.<id>.<port>` references (after renaming), in source order. */
  readonly references: readonly NodeReference[];
}

interface Ast {
  op: string;
  args: unknown;
}

const isAst = (v: unknown): v is Ast => typeof v === "object" && v !== null && "op" in v && "args" in v;

/**
 * A copy of the AST (op and args only: what the printer reads) with `nodes.<old>` renamed and the entries of map
 * literals sorted by key (`{"b": 1, "a": 2}` builds the same map as `{"a": 2, "b": 1}`).
 */
function normalised(value: unknown, renames: NodeRenames | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => normalised(v, renames));
  if (!isAst(value)) return value;
  const args = normalised(value.args, renames);
  if (value.op === "map" && Array.isArray(args)) {
    const keyed = (args as [Ast, Ast][]).map((entry) => [safePrint(entry[0]), entry] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { op: value.op, args: keyed.map(([, entry]) => entry) };
  }
  if (renames && (value.op === "." || value.op === "[]") && Array.isArray(args)) {
    const [target, key] = args as [unknown, unknown];
    if (isAst(target) && target.op === "id" && target.args === "nodes") {
      if (typeof key === "string" && renames.has(key))
        return { op: value.op, args: [target, renames.get(key)] };
      if (isAst(key) && key.op === "value" && typeof key.args === "string" && renames.has(key.args))
        return { op: value.op, args: [target, { op: "value", args: renames.get(key.args) }] };
    }
  }
  return { op: value.op, args };
}

type Printable = Parameters<Cel["serialize"]>[0];

function safePrint(ast: unknown): string {
  try {
    return requireCel().serialize(ast as Printable);
  } catch {
    return JSON.stringify(ast, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? "";
  }
}

const MEMO_LIMIT = 20_000;
const memo = new Map<string, CanonicalExpression>();

function print(source: string, renames: NodeRenames | undefined): CanonicalExpression {
  let ast: unknown;
  try {
    ast = parseExpressionAst(source);
  } catch {
    return { text: source.trim(), parsed: false, references: [] };
  }
  const references = astReferences(ast).nodes;
  const touched = renames !== undefined && references.some((r) => renames.has(r.node));
  try {
    return {
      text: requireCel().serialize(normalised(ast, touched ? renames : undefined) as Printable),
      parsed: true,
      references: touched
        ? references.map((r) => ({ ...r, node: renames.get(r.node) ?? r.node }))
        : references,
    };
  } catch {
    // An AST shape the printer does not know: compare the source as written.
    return { text: source.trim(), parsed: true, references };
  }
}

/**
 * The canonical form of one expression (no `${{ }}` around it), with node references renamed by `renames`.
 * Results without renames are memoised (the same expressions recur across the two sides of a plan).
 * @example canonicalExpression("trigger.body.a+1").text // "trigger.body.a + 1"
 */
export function canonicalExpression(source: string, renames?: NodeRenames): CanonicalExpression {
  if (renames && renames.size > 0) return print(source, renames);
  const known = memo.get(source);
  if (known) return known;
  const result = print(source, undefined);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(source, result);
  return result;
}
