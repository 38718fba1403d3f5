/**
 * Run-time bounds on expression evaluation. Parse-time limits (EXPRESSION_LIMITS) bound the expression; the
 * payload it reads is untrusted and unbounded in shape, so evaluation is bounded too:
 *
 * - steps: every iteration of a comprehension (`map`, `filter`, `all`, `exists`, `exists_one`) costs one unit,
 *   and every string, list or map handed to a function or operator inside a comprehension costs one more unit
 *   per 1,024 characters or elements (the work a `contains`, `in` or `==` may do on it). Loops are the only way
 *   an expression's work can outgrow its size × its input, so this is where the budget is checked; an
 *   expression without a comprehension pays nothing.
 * - result: the value an expression returns is converted to JSON-like data (fromCel) with a depth, element and
 *   character budget, so a deep payload or a list of a million copies fails with a code instead of a stack
 *   overflow or an out-of-memory isolate.
 *
 * Clocks do not advance during synchronous work in a Worker, so a time limit could not be enforced there; a
 * budget counted in units of work can, and gives the same answer on every host.
 */

/** The run-time limits of one evaluation. */
export const EVALUATION_LIMITS = {
  /** Comprehension iterations plus scanned size (1 unit per 1,024 chars or elements) per evaluation. */
  maxSteps: 200_000,
  /** Nesting depth of the result. */
  maxResultDepth: 256,
  /** Array elements plus object entries of the result. */
  maxResultItems: 1_000_000,
  /** Total string length (UTF-16 units) in the result. */
  maxResultChars: 32 * 1024 * 1024,
};

/** Units charged per this many characters or elements of an operand scanned inside a comprehension. */
const SCAN_UNIT = 1024;

/** Thrown when an evaluation exceeds EVALUATION_LIMITS; converted to ExpressionError EXPR_LIMIT. */
export class EvaluationLimitError extends Error {
  override name = "EvaluationLimitError";
}

/** The budget of the evaluation in progress (evaluation is synchronous, so one slot suffices). */
const state = { remaining: 0, exhausted: false };

/** Starts a budget for an evaluation; returns the previous state so that a nested evaluation can restore it. */
export function startBudget(): { remaining: number; exhausted: boolean } {
  const previous = { remaining: state.remaining, exhausted: state.exhausted };
  state.remaining = EVALUATION_LIMITS.maxSteps;
  state.exhausted = false;
  return previous;
}

export function restoreBudget(previous: { remaining: number; exhausted: boolean }): void {
  state.remaining = previous.remaining;
  state.exhausted = previous.exhausted;
}

/** True when the current evaluation ran out of budget (quantifiers may swallow the thrown error). */
export const budgetExhausted = (): boolean => state.exhausted;

export function stepLimitError(): EvaluationLimitError {
  return new EvaluationLimitError(
    `expression evaluation exceeded its budget of ${EVALUATION_LIMITS.maxSteps} steps (comprehension iterations and scanned data)`,
  );
}

/** Thrown (allocated once) while the budget is exhausted, so a quantifier that swallows it stays cheap. */
const EXHAUSTED = stepLimitError();

function charge(units: number): void {
  state.remaining -= units;
  if (state.remaining < 0) {
    state.exhausted = true;
    throw EXHAUSTED;
  }
}

function sizeOf(value: unknown): number {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  return 0;
}

type Evaluate = (ev: unknown, ast: unknown, ctx: unknown) => unknown;

/** The shape of a cel-js (8.0.0) AST node that this module relies on. */
interface CelNode {
  op: string;
  args: unknown;
  evaluate: Evaluate;
  readonly meta: { alternate?: CelNode; macro?: CelMacro; evaluate: Evaluate };
}

interface CelMacro {
  evaluate: Evaluate;
  val?: CelNode;
  exp?: CelNode;
}

const isNode = (v: unknown): v is CelNode =>
  typeof v === "object" && v !== null && "op" in v && "args" in v && "meta" in v;

/** What `node.evaluate` resolves to (cel-js resolves it lazily, on first call, from the node's meta). */
function resolved(node: CelNode): Evaluate {
  const meta = node.meta;
  if (meta.alternate) {
    const alternate = meta.alternate;
    return (ev, _ast, ctx) => alternate.evaluate(ev, alternate, ctx);
  }
  if (meta.macro) {
    const macro = meta.macro;
    return (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx);
  }
  const evaluate = meta.evaluate;
  return (ev, ast, ctx) => evaluate.call(node, ev, ast, ctx);
}

/** Charges one unit per call: a comprehension's step. */
function countCalls(node: CelNode): void {
  const inner = resolved(node);
  node.evaluate = (ev, ast, ctx) => {
    charge(1);
    return inner(ev, ast, ctx);
  };
}

/** Charges for the size of the value a node produces: an operand a function may scan. */
function countSize(node: CelNode): void {
  const inner = resolved(node);
  node.evaluate = (ev, ast, ctx) => {
    const value = inner(ev, ast, ctx);
    const size = sizeOf(value);
    if (size >= SCAN_UNIT) charge(Math.floor(size / SCAN_UNIT));
    return value;
  };
}

const SCANNING_OPERATORS = new Set(["+", "in", "==", "!=", "<", "<=", ">", ">="]);

/** The operands of a call or operator node: values a function may scan. */
function operands(node: CelNode): CelNode[] {
  const args = node.args;
  if (node.op === "rcall" && Array.isArray(args)) return [args[1], ...(args[2] as unknown[])].filter(isNode);
  if (node.op === "call" && Array.isArray(args)) return (args[1] as unknown[]).filter(isNode);
  if (SCANNING_OPERATORS.has(node.op) && Array.isArray(args)) return args.filter(isNode);
  return [];
}

/**
 * Installs the step budget on a type-checked cel-js AST: wraps the step of every comprehension, and inside
 * comprehensions the operands of calls and operators. Returns whether the expression has a comprehension
 * (without one, evaluation needs no budget at all).
 */
export function installBudget(ast: unknown): boolean {
  let found = false;
  const seen = new Set<unknown>();
  const visit = (value: unknown, inLoop: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, inLoop);
      return;
    }
    if (!isNode(value) || seen.has(value)) return;
    seen.add(value);
    const node = value;
    const meta = node.meta;
    if (meta.alternate) {
      visit(meta.alternate, inLoop);
      return;
    }
    if (meta.macro) {
      visit(meta.macro.val, inLoop);
      visit(meta.macro.exp, inLoop);
      return;
    }
    if (node.op === "comprehension") {
      found = true;
      const args = node.args as { iterable: unknown; init: unknown; step: CelNode };
      visit(args.iterable, inLoop);
      visit(args.init, inLoop);
      visit(args.step, true);
      countCalls(args.step);
      return;
    }
    visit(node.args, inLoop);
    if (inLoop) for (const operand of operands(node)) countSize(operand);
  };
  visit(ast, false);
  return found;
}

/** A budget for converting one result: depth, elements and characters. */
export interface ResultBudget {
  items: number;
  chars: number;
}

export const newResultBudget = (): ResultBudget => ({
  items: EVALUATION_LIMITS.maxResultItems,
  chars: EVALUATION_LIMITS.maxResultChars,
});

export function resultLimitError(what: string): EvaluationLimitError {
  const limit =
    what === "depth"
      ? `is nested deeper than ${EVALUATION_LIMITS.maxResultDepth} levels`
      : what === "items"
        ? `has more than ${EVALUATION_LIMITS.maxResultItems} elements`
        : `holds more than ${EVALUATION_LIMITS.maxResultChars} characters`;
  return new EvaluationLimitError(`expression result ${limit}`);
}
