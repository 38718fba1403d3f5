import {
  type CompiledExpression,
  compileExpression,
  ExpressionError,
  type NodeReference,
  type Scope,
} from "./expression.ts";
import { bareExpression, splitTemplate } from "./split.ts";

/** A JSON value in which strings may hold `${{ }}` expressions, compiled once and evaluated per run. */
export interface CompiledValue {
  readonly references: readonly NodeReference[];
  /** True when the value holds no expression (evaluate returns the literal). */
  readonly constant: boolean;
  evaluate(scope: Scope): unknown;
}

/** An expression that failed to compile, located by its path inside the value and offset inside the string. */
export interface TemplateIssue {
  path: (string | number)[];
  /** Offset of the error inside the string value (start of the `${{`, plus the offset inside the expression). */
  offset: number;
  error: ExpressionError;
}

type Part = string | { expr: CompiledExpression };

/** Splits a string into literal text and compiled expressions (`splitTemplate`: `$${{` is a literal `${{`). */
function parseParts(text: string, path: (string | number)[], issues: TemplateIssue[]): Part[] {
  const parts: Part[] = [];
  for (const part of splitTemplate(text)) {
    if (part.type === "text") parts.push(part.text);
    else if (part.type === "unclosed") {
      issues.push({
        path,
        offset: part.open,
        error: new ExpressionError("EXPR_SYNTAX", "`${{` is never closed by `}}`", 0),
      });
      return parts;
    } else {
      try {
        if (part.source === "") throw new ExpressionError("EXPR_SYNTAX", "empty expression `${{ }}`", 0);
        parts.push({ expr: compileExpression(part.source) });
      } catch (error) {
        const e =
          error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
        issues.push({ path, offset: part.start + e.offset, error: e });
      }
    }
  }
  return parts;
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

const constantValue = (value: unknown): CompiledValue => ({
  references: [],
  constant: true,
  evaluate: () => value,
});

function compileString(text: string, path: (string | number)[], issues: TemplateIssue[]): CompiledValue {
  if (!text.includes("${{")) return constantValue(text);
  const parts = parseParts(text, path, issues);
  const exprs = parts
    .filter((p): p is { expr: CompiledExpression } => typeof p !== "string")
    .map((p) => p.expr);
  const references = exprs.flatMap((e) => e.references);
  if (exprs.length === 0) return constantValue(parts.join(""));
  if (parts.length === 1 && exprs.length === 1) {
    const only = exprs[0]!;
    return { references, constant: false, evaluate: (scope) => only.evaluate(scope) };
  }
  return {
    references,
    constant: false,
    evaluate: (scope) =>
      parts.map((p) => (typeof p === "string" ? p : stringify(p.expr.evaluate(scope)))).join(""),
  };
}

function compileAt(value: unknown, path: (string | number)[], issues: TemplateIssue[]): CompiledValue {
  if (typeof value === "string") return compileString(value, path, issues);
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileAt(v, [...path, i], issues));
    if (items.every((c) => c.constant)) return constantValue(value);
    return {
      references: items.flatMap((c) => c.references),
      constant: false,
      evaluate: (scope) => items.map((c) => c.evaluate(scope)),
    };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, compileAt(v, [...path, k], issues)] as const);
    if (entries.every(([, c]) => c.constant)) return constantValue(value);
    return {
      references: entries.flatMap(([, c]) => c.references),
      constant: false,
      evaluate: (scope) => {
        const out: Record<string, unknown> = {};
        for (const [k, c] of entries) out[k] = c.evaluate(scope);
        return out;
      },
    };
  }
  return constantValue(value);
}

/**
 * Compiles a value that may contain `${{ }}` expressions at any depth. A string that is exactly one
 * `${{ expr }}` yields the expression's typed value; text around expressions makes an interpolated string.
 * @example compileValue({ greeting: "hi ${{ trigger.body.name }}" }).value.evaluate(scope)
 */
export function compileValue(value: unknown): { value: CompiledValue; issues: TemplateIssue[] } {
  const issues: TemplateIssue[] = [];
  const compiled = compileAt(value, [], issues);
  return { value: compiled, issues };
}

/**
 * Compiles a bare expression field such as `when` or `idempotencyKey`; `${{ }}` around it is accepted too.
 * Returns the offset of the expression inside the field so that errors can be located.
 */
export function compileBareExpression(text: string): { expr?: CompiledExpression; issue?: TemplateIssue } {
  const { source, start } = bareExpression(text);
  try {
    return { expr: compileExpression(source) };
  } catch (error) {
    const e = error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
    return { issue: { path: [], offset: start + e.offset, error: e } };
  }
}
