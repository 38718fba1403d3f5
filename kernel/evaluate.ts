import type { CompiledExpression, Scope } from "../flows/expr/index.ts";
import { expressionFailed } from "./context.ts";
import { FlowError } from "./errors.ts";
import type { CompiledStep } from "./plan-step.ts";

/** A run's expression scope; `input` is set only while a node's config expressions are evaluated. */
export interface RunScope {
  trigger: unknown;
  nodes: Record<string, Readonly<Record<string, unknown>>>;
  vars: Readonly<Record<string, unknown>>;
  run: { id: string; flowId: string };
  input: unknown;
  item?: unknown;
  index?: number;
}

const NO_INPUTS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Evaluates a step's inputs. `available`, for joins, says which inputs to evaluate (by position); the others
 * are left out. Throws EXPRESSION_FAILED naming the input.
 */
export function evaluateInputs(
  step: CompiledStep,
  scope: RunScope,
  available?: readonly boolean[],
): Readonly<Record<string, unknown>> {
  if (step.constantInputs && !available) return step.constantInputs;
  const entries = step.inputs;
  if (entries.length === 0) return NO_INPUTS;
  const out: Record<string, unknown> = {};
  let i = 0;
  try {
    for (; i < entries.length; i++) {
      if (available && !available[i]) continue;
      const entry = entries[i]!;
      out[entry.name] = entry.value.evaluate(scope as Scope);
    }
  } catch (error) {
    throw expressionFailed(error, step.id, `inputs.${entries[i]?.name}`);
  }
  return out;
}

/** Evaluates a step's config expressions with `input` in scope; the static config when it has none. */
export function evaluateConfig(
  step: CompiledStep,
  scope: RunScope,
  inputs: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const dynamic = step.dynamicConfig;
  if (dynamic.length === 0) return step.staticConfig;
  const out: Record<string, unknown> = {};
  const entries = step.staticEntries;
  for (let e = 0; e < entries.length; e++) out[entries[e]![0]] = entries[e]![1];
  const previous = scope.input;
  scope.input = inputs;
  let i = 0;
  try {
    for (; i < dynamic.length; i++) {
      const entry = dynamic[i]!;
      out[entry[0]] = entry[1].evaluate(scope as Scope);
    }
  } catch (error) {
    throw expressionFailed(error, step.id, `config.${dynamic[i]?.[0]}`);
  } finally {
    scope.input = previous;
  }
  return out;
}

/** Evaluates a step's idempotency key (with `input` in scope) to a string. */
export function evaluateIdempotencyKey(
  step: CompiledStep,
  scope: RunScope,
  inputs: Readonly<Record<string, unknown>>,
): string | undefined {
  const expression = step.idempotencyKey;
  if (!expression) return undefined;
  const previous = scope.input;
  scope.input = inputs;
  try {
    const key = expression.evaluate(scope as Scope);
    return typeof key === "string" ? key : JSON.stringify(key);
  } catch (error) {
    throw expressionFailed(error, step.id, "idempotencyKey");
  } finally {
    scope.input = previous;
  }
}

/** Evaluates a node's `when` (without `input`): a boolean, or EXPRESSION_FAILED. */
export function evaluateWhen(
  step: CompiledStep & { when?: CompiledExpression | undefined },
  scope: RunScope,
): boolean {
  let value: unknown;
  try {
    value = step.when!.evaluate(scope as Scope);
  } catch (error) {
    throw expressionFailed(error, step.id, "when");
  }
  if (typeof value === "boolean") return value;
  throw new FlowError(
    "EXPRESSION_FAILED",
    `node \`${step.id}\` when: must be a boolean, got ${typeof value}`,
    {
      nodeId: step.id,
      details: { nodeId: step.id, path: "when" },
    },
  );
}
