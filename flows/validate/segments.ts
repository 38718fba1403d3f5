import "../expr/cel-eager.ts";
import { type CompiledExpression, compileExpression, ExpressionError } from "../expr/index.ts";
import { bareExpression, splitTemplate } from "../expr/split.ts";

/** One `${{ }}` expression of a string, compiled, with the offset of its source inside the string. */
export interface Segment {
  expr: CompiledExpression;
  /** Offset of `expr.source` inside the string. */
  start: number;
}

/** An expression that failed to compile, with the offset of the problem inside the string. */
export interface SegmentIssue {
  offset: number;
  error: ExpressionError;
}

const OPEN = "${{";

/** True when a string holds at least one `${{` that is not the `$${{` escape. */
export function hasExpression(text: string): boolean {
  let i = text.indexOf(OPEN);
  while (i !== -1) {
    if (i === 0 || text[i - 1] !== "$") return true;
    i = text.indexOf(OPEN, i + OPEN.length);
  }
  return false;
}

/**
 * Splits a string into its `${{ }}` expressions and compiles each, keeping the offset of every expression
 * (so that references and errors can be located). Follows exactly the rules of `compileValue` in
 * `flows/expr/template.ts` (a test checks that both report the same issues): `$${{` is a literal, an
 * expression ends at the first `}}`, an unclosed `${{` ends the scan.
 */
export function compileSegments(text: string): { segments: Segment[]; issues: SegmentIssue[] } {
  const segments: Segment[] = [];
  const issues: SegmentIssue[] = [];
  for (const part of splitTemplate(text)) {
    if (part.type === "unclosed") {
      issues.push({
        offset: part.open,
        error: new ExpressionError("EXPR_SYNTAX", "`${{` is never closed by `}}`", 0),
      });
      break;
    }
    if (part.type !== "expr") continue;
    try {
      if (part.source === "") throw new ExpressionError("EXPR_SYNTAX", "empty expression `${{ }}`", 0);
      segments.push({ expr: compileExpression(part.source), start: part.start });
    } catch (error) {
      const e =
        error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
      issues.push({ offset: part.start + e.offset, error: e });
    }
  }
  return { segments, issues };
}

/**
 * Compiles a bare expression field (`when`, `idempotencyKey`), which may also be wrapped in `${{ }}`, like
 * `compileBareExpression` in `flows/expr/template.ts`, keeping the offset of the expression in the field.
 */
export function compileBare(text: string): { segments: Segment[]; issues: SegmentIssue[] } {
  const { source, start } = bareExpression(text);
  try {
    return { segments: [{ expr: compileExpression(source), start }], issues: [] };
  } catch (error) {
    const e = error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
    return { segments: [], issues: [{ offset: start + e.offset, error: e }] };
  }
}
