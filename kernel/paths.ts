import { type CompiledValue, EXPRESSION_ROOTS, ExpressionError } from "../flows/expr/index.ts";

/**
 * The plain wiring case, a value that is exactly `${{ nodes.fetch.body }}` (a root and dotted names), is read
 * by direct property access instead of through CEL. It gives the same values and errors as CEL for JSON data, it is
 * several times faster, and it passes along what CEL cannot carry: a ChunkStream, bytes, a Response body.
 */

const PATH = /^\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}$/;
const ROOTS: ReadonlySet<string> = new Set(EXPRESSION_ROOTS);

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Replaces the evaluation of `compiled` (from `compileValue(raw)`) by a direct read when `raw` is a plain
 * path expression; returns `compiled` unchanged otherwise. A missing key fails like CEL does.
 * @example withDirectPath("${{ nodes.a.out }}", compileValue("${{ nodes.a.out }}").value)
 */
export function withDirectPath(raw: unknown, compiled: CompiledValue): CompiledValue {
  if (typeof raw !== "string" || compiled.constant) return compiled;
  const match = PATH.exec(raw);
  if (!match) return compiled;
  const [root, ...keys] = match[1]!.split(".");
  if (!ROOTS.has(root!)) return compiled;
  return {
    references: compiled.references,
    constant: false,
    evaluate(scope) {
      let value: unknown = (scope as Record<string, unknown>)[root!];
      if (value === undefined) throw new ExpressionError("EXPR_EVAL", `Unknown variable: ${root}`, 0);
      for (const key of keys) {
        const next = isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
        if (next === undefined) throw new ExpressionError("EXPR_EVAL", `No such key: ${key}`, 0);
        value = next;
      }
      return value;
    },
  };
}
