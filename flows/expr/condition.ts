import { NOT_PLAIN, readPlainReference } from "./reference.ts";

/**
 * The fast path for a condition (`when: nodes.parse.out.event != "ping"`, the built-in webhook flow's
 * `vars.ACK == "sync" && nodes.match.pure`): plain references and string, bool or null literals joined by `==`,
 * `!=`, `!`, `&&` and `||`. Like `readPlainReference`, it answers only where the answer is certain to be CEL's:
 * `==` and `!=` between two strings, two bools or two nulls, `!` of a bool, and `&&` / `||` of bools, where a
 * `false &&` or a `true ||` decides whatever the other side is (CEL's `&&` and `||` absorb an error on the other
 * side the same way). Anything else (a number, a list, a missing key, a type CEL would refuse) gives NOT_PLAIN,
 * and the caller evaluates the whole expression with CEL, whose answer stays the one definition.
 */
export type FastCondition = (scope: Readonly<Record<string, unknown>>) => unknown;

interface AstNode {
  op: string;
  args: unknown;
}

const isAst = (v: unknown): v is AstNode => typeof v === "object" && v !== null && "op" in v && "args" in v;

/** `nodes.a.out` as a path of field selections from an identifier, or undefined for any other shape. */
function selectionPath(ast: AstNode): string[] | undefined {
  const path: string[] = [];
  let cur: unknown = ast;
  while (isAst(cur) && cur.op === ".") {
    const [target, key] = cur.args as [unknown, unknown];
    if (typeof key !== "string") return undefined;
    path.unshift(key);
    cur = target;
  }
  if (!isAst(cur) || cur.op !== "id" || typeof cur.args !== "string") return undefined;
  path.unshift(cur.args);
  return path;
}

/** An operand: a plain reference or a string, bool or null literal; undefined for anything else. */
function operand(ast: unknown): FastCondition | undefined {
  if (!isAst(ast)) return undefined;
  if (ast.op === "value") {
    const value = ast.args;
    return typeof value === "string" || typeof value === "boolean" || value === null
      ? () => value
      : undefined;
  }
  const path = selectionPath(ast);
  return path && ((scope) => readPlainReference(scope, path));
}

/** Values `==` compares the way JavaScript's `===` does: two strings, two bools, two nulls. */
const comparable = (a: unknown, b: unknown): boolean =>
  a === null ? b === null : (typeof a === "string" || typeof a === "boolean") && typeof a === typeof b;

function condition(ast: unknown): FastCondition | undefined {
  if (!isAst(ast)) return undefined;
  const args = ast.args;
  switch (ast.op) {
    case "==":
    case "!=": {
      const [left, right] = (args as unknown[]).map((arg) => operand(arg));
      if (!left || !right) return undefined;
      const equal = ast.op === "==";
      return (scope) => {
        const a = left(scope);
        const b = right(scope);
        return comparable(a, b) ? (a === b) === equal : NOT_PLAIN;
      };
    }
    case "!_": {
      const inner = condition(args) ?? operand(args);
      if (!inner) return undefined;
      return (scope) => {
        const value = inner(scope);
        return typeof value === "boolean" ? !value : NOT_PLAIN;
      };
    }
    case "&&":
    case "||": {
      const [left, right] = (args as unknown[]).map((arg) => condition(arg) ?? operand(arg));
      if (!left || !right) return undefined;
      // `false && x` is false and `true || x` true, whatever x is; otherwise the other side decides.
      const decides = ast.op === "||";
      return (scope) => {
        const a = left(scope);
        if (a === decides) return a;
        if (typeof a !== "boolean") return NOT_PLAIN;
        const b = right(scope);
        return typeof b === "boolean" ? b : NOT_PLAIN;
      };
    }
    default:
      return undefined;
  }
}

/**
 * The fast path of a parsed, type-checked expression (cel-js's AST) when it is a condition of the shape above,
 * else undefined. Its answer is a bool, or NOT_PLAIN where CEL must decide.
 * @example fastCondition(ast of `vars.ACK == "sync"`)?.({ vars: { ACK: "sync" } }) // true
 */
export function fastCondition(ast: unknown): FastCondition | undefined {
  return isAst(ast) && ["==", "!=", "!_", "&&", "||"].includes(ast.op) ? condition(ast) : undefined;
}
