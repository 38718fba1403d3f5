import type { Environment } from "@marcbachmann/cel-js";
import {
  budgetExhausted,
  EvaluationLimitError,
  installBudget,
  restoreBudget,
  startBudget,
  stepLimitError,
} from "./budget.ts";
import { requireCel } from "./cel-loader.ts";
import { fastCondition } from "./condition.ts";
import { EXPRESSION_ROOTS } from "./environment.ts";
import { NOT_PLAIN, plainReferencePath, readPlainReference } from "./reference.ts";
import { fromCel } from "./values.ts";

/** A dependency of an expression on another node's output port: `nodes.<node>.<port>`. */
export interface NodeReference {
  node: string;
  /** Undefined when the expression uses `nodes.<node>` whole. */
  port?: string;
  /** Offset of the reference in the expression source. */
  offset: number;
}

/** A read of a flow variable: `vars.<name>` (or `vars["<name>"]`), outside a `has()` test. */
export interface VarReference {
  name: string;
  /** Offset of the reference in the expression source. */
  offset: number;
}

/** Why an expression was rejected; `offset` is relative to the expression source. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
  readonly code: "EXPR_SYNTAX" | "EXPR_TYPE" | "EXPR_EVAL" | "EXPR_LIMIT";
  readonly offset: number;
  constructor(code: ExpressionError["code"], message: string, offset: number) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}

export type Scope = Partial<Record<(typeof EXPRESSION_ROOTS)[number], unknown>>;

export interface CompiledExpression {
  readonly source: string;
  readonly references: readonly NodeReference[];
  /** The `vars.<name>` it reads (a `has(vars.x)` test is not a read). */
  readonly vars: readonly VarReference[];
  /** Evaluates against a scope; throws ExpressionError (code EXPR_EVAL) on failure. Results are plain JSON-like values. */
  evaluate(scope: Scope): unknown;
}

interface AstNode {
  op: string;
  args: unknown;
  pos?: number;
  start?: number;
}

const isAst = (v: unknown): v is AstNode => typeof v === "object" && v !== null && "op" in v && "args" in v;

interface Collected {
  nodes: NodeReference[];
  vars: VarReference[];
}

/** Collects `nodes.<id>.<port>` and `vars.<name>` chains from a parsed CEL AST. */
function collectReferences(ast: unknown, out: Collected, inHas = false): void {
  if (Array.isArray(ast)) {
    for (const item of ast) collectReferences(item, out, inHas);
    return;
  }
  if (!isAst(ast)) return;
  if (ast.op === "." || ast.op === "[]") {
    const chain = memberChain(ast);
    if (chain && chain.names[0] === "nodes" && chain.names.length >= 2) {
      out.nodes.push({ node: chain.names[1]!, port: chain.names[2], offset: chain.offset });
      return;
    }
    if (chain && chain.names[0] === "vars" && chain.names.length >= 2) {
      if (!inHas) out.vars.push({ name: chain.names[1]!, offset: chain.offset });
      return;
    }
  }
  const has = ast.op === "call" && Array.isArray(ast.args) && ast.args[0] === "has";
  collectReferences(ast.args, out, inHas || has);
}

/** `nodes.a.out` → ["nodes","a","out"]; `nodes["a"]` works too. Returns undefined for other shapes. */
function memberChain(ast: AstNode): { names: string[]; offset: number } | undefined {
  const names: string[] = [];
  let cur: unknown = ast;
  while (isAst(cur) && (cur.op === "." || cur.op === "[]")) {
    const [target, key] = cur.args as [unknown, unknown];
    const name = typeof key === "string" ? key : isAst(key) && key.op === "value" ? key.args : undefined;
    if (typeof name !== "string") {
      // A computed key (`nodes[x]`) ends the static part of the chain.
      names.length = 0;
    } else names.unshift(name);
    cur = target;
  }
  if (!isAst(cur) || cur.op !== "id" || typeof cur.args !== "string") return undefined;
  names.unshift(cur.args);
  return { names, offset: cur.start ?? cur.pos ?? 0 };
}

interface CelErrorShape {
  name?: string;
  summary?: string;
  message?: string;
  range?: { start: number };
}

function toExpressionError(error: unknown, phase: "parse" | "check" | "eval"): ExpressionError {
  if (error instanceof EvaluationLimitError) return new ExpressionError("EXPR_LIMIT", error.message, 0);
  if (error instanceof RangeError && /call stack|string length|array length/i.test(error.message)) {
    return new ExpressionError("EXPR_LIMIT", `expression evaluation ran out of room: ${error.message}`, 0);
  }
  const e = (error ?? {}) as CelErrorShape;
  const summary = e.summary ?? String(e.message ?? error).split("\n")[0] ?? "invalid expression";
  const offset = e.range?.start ?? 0;
  if (/limit|exceed|maximum/i.test(summary)) return new ExpressionError("EXPR_LIMIT", summary, offset);
  if (phase === "parse" || e.name === "ParseError")
    return new ExpressionError("EXPR_SYNTAX", summary, offset);
  if (phase === "check" || e.name === "TypeError") return new ExpressionError("EXPR_TYPE", summary, offset);
  return new ExpressionError("EXPR_EVAL", summary, offset);
}

type Program = ReturnType<Environment["parse"]>;

/** Parses and type-checks with CEL. Throws ExpressionError. */
function parseChecked(source: string): Program {
  let program: Program;
  try {
    program = requireCel().celEnvironment().parse(source);
  } catch (error) {
    throw toExpressionError(error, "parse");
  }
  const checked = program.check();
  if (!checked.valid) throw toExpressionError(checked.error, "check");
  return program;
}

/** Runs a type-checked program on a scope: its value as plain data, or an ExpressionError (EXPR_EVAL, EXPR_LIMIT). */
function runProgram(program: Program, scope: Scope): unknown {
  try {
    return fromCel(program(scope as Record<string, unknown>));
  } catch (error) {
    throw toExpressionError(error, "eval");
  }
}

/**
 * Parses one expression with CEL's parser only (no type check): its AST, as cel-js gives it. Throws
 * ExpressionError (EXPR_SYNTAX or EXPR_LIMIT).
 */
export function parseExpressionAst(source: string): unknown {
  try {
    return requireCel().celEnvironment().parse(source).ast;
  } catch (error) {
    throw toExpressionError(error, "parse");
  }
}

/**
 * The `nodes.<id>.<port>` and `vars.<name>` references of a parsed AST (`parseExpressionAst`), as
 * `compileExpression` finds them.
 */
export function astReferences(ast: unknown): { nodes: NodeReference[]; vars: VarReference[] } {
  const collected: Collected = { nodes: [], vars: [] };
  collectReferences(ast, collected);
  return collected;
}

/** The longest plain reference compiled without CEL (CEL itself refuses chains past its `maxDepth`, 64). */
const MAX_PLAIN_SEGMENTS = 32;
/** Words CEL does not take as a field name after a dot (`trigger.in` is a syntax error). */
const NOT_FIELD_NAMES = new Set(["in", "true", "false", "null"]);
const ROOTS: ReadonlySet<string> = new Set<string>(EXPRESSION_ROOTS);

/**
 * Whether CEL certainly accepts `path` (a plain reference) as a chain of field selections on a root: a known
 * root (`dyn`, or `map<string, dyn>` for `input`: any field type-checks on either), no word CEL reserves after a
 * dot, well within `maxDepth`.
 */
const certainlyCel = (path: readonly string[]): boolean =>
  ROOTS.has(path[0]!) &&
  path.length <= MAX_PLAIN_SEGMENTS &&
  !path.some((key, i) => i > 0 && NOT_FIELD_NAMES.has(key));

/**
 * A plain reference (`trigger.body`, `nodes.verify.out`), compiled without CEL: its node or var reference is the
 * path itself, and it is read from the scope. CEL parses it only when a scope is not plain (`readPlainReference`),
 * so that CEL stays the one definition of the answer. Most expressions in flows are plain references: a plan
 * made of them never runs CEL's parser or type checker.
 */
function compilePlainReference(source: string, path: readonly string[]): CompiledExpression {
  const [root, name, port] = path;
  const references: NodeReference[] =
    root === "nodes" && name !== undefined ? [{ node: name, port, offset: 0 }] : [];
  const vars: VarReference[] = root === "vars" && name !== undefined ? [{ name, offset: 0 }] : [];
  let program: Program | undefined;
  return {
    source,
    references,
    vars,
    evaluate: (scope: Scope): unknown => {
      const value = readPlainReference(scope as Record<string, unknown>, path);
      if (value !== NOT_PLAIN) return fromCel(value);
      program ??= parseChecked(source);
      return runProgram(program, scope);
    },
  };
}

/**
 * Compiles one expression with CEL's parser and type checker (what `compileExpression` does for anything but a
 * plain reference). A condition of plain references and literals (`./condition.ts`) is answered without running
 * CEL wherever its answer is certain, unless `conditions` is false. Throws ExpressionError. Exported for the tests
 * that hold the fast paths to CEL's answers.
 */
export function compileCelExpression(source: string, conditions = true): CompiledExpression {
  const program = parseChecked(source);
  const collected: Collected = { nodes: [], vars: [] };
  collectReferences(program.ast, collected);
  const fast = conditions ? fastCondition(program.ast) : undefined;
  // Only an expression with a comprehension can do more work than its size × its input: it gets a step budget.
  const looped = installBudget(program.ast);
  return {
    source,
    references: collected.nodes,
    vars: collected.vars,
    evaluate: looped
      ? (scope: Scope): unknown => {
          const previous = startBudget();
          try {
            const result = program(scope as Record<string, unknown>);
            // A quantifier (`all`, `exists`) may swallow the limit error and still produce a value.
            if (budgetExhausted()) throw stepLimitError();
            return fromCel(result);
          } catch (error) {
            throw toExpressionError(error, "eval");
          } finally {
            restoreBudget(previous);
          }
        }
      : fast
        ? (scope: Scope): unknown => {
            const value = fast(scope as Record<string, unknown>);
            return value !== NOT_PLAIN ? value : runProgram(program, scope);
          }
        : (scope: Scope): unknown => runProgram(program, scope),
  };
}

/**
 * Parses and type-checks one CEL expression (no `${{ }}` around it). Throws ExpressionError.
 * @example compileExpression("trigger.body.count + 1").evaluate({ trigger: { body: { count: 2 } } }) // 3
 */
export function compileExpression(source: string): CompiledExpression {
  const path = plainReferencePath(source);
  return path && certainlyCel(path) ? compilePlainReference(source, path) : compileCelExpression(source);
}
