import { type CompiledExpression, compileExpression, ExpressionError } from "../expr/index.ts";

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
const CLOSE = "}}";

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
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf(OPEN, i);
    if (open === -1) break;
    if (open > 0 && text[open - 1] === "$") {
      i = open + OPEN.length;
      continue;
    }
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close === -1) {
      issues.push({
        offset: open,
        error: new ExpressionError("EXPR_SYNTAX", "`${{` is never closed by `}}`", 0),
      });
      break;
    }
    const raw = text.slice(open + OPEN.length, close);
    const start = open + OPEN.length + (raw.length - raw.trimStart().length);
    try {
      if (raw.trim() === "") throw new ExpressionError("EXPR_SYNTAX", "empty expression `${{ }}`", 0);
      segments.push({ expr: compileExpression(raw.trim()), start });
    } catch (error) {
      const e =
        error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
      issues.push({ offset: start + e.offset, error: e });
    }
    i = close + CLOSE.length;
  }
  return { segments, issues };
}

/**
 * Compiles a bare expression field (`when`, `idempotencyKey`), which may also be wrapped in `${{ }}`, like
 * `compileBareExpression` in `flows/expr/template.ts`, keeping the offset of the expression in the field.
 */
export function compileBare(text: string): { segments: Segment[]; issues: SegmentIssue[] } {
  const trimmed = text.trim();
  let source = trimmed;
  let start = text.indexOf(trimmed);
  if (trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE)) {
    const inner = trimmed.slice(OPEN.length, -CLOSE.length);
    source = inner.trim();
    start += OPEN.length + (inner.length - inner.trimStart().length);
  }
  try {
    return { segments: [{ expr: compileExpression(source), start }], issues: [] };
  } catch (error) {
    const e = error instanceof ExpressionError ? error : new ExpressionError("EXPR_SYNTAX", String(error), 0);
    return { segments: [], issues: [{ offset: start + e.offset, error: e }] };
  }
}
