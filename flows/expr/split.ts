/**
 * How a string value is cut into literal text and `${{ }}` expressions: the one definition, shared by the
 * compiler (`template.ts`), the validator (`flows/validate/segments.ts`) and the change plan's canonical form
 * (`flows/changes`). `$${{` is a literal `${{`; an expression ends at the first `}}`; an unclosed `${{` ends the
 * scan.
 */

const OPEN = "${{";
const CLOSE = "}}";

/** One piece of a string value. */
export type TemplatePart =
  | { type: "text"; text: string }
  | {
      type: "expr";
      /** The expression, trimmed (empty for `${{ }}`). */
      source: string;
      /** Offset of `source` in the string. */
      start: number;
    }
  | {
      /** A `${{` with no `}}` after it: the scan stops here. */
      type: "unclosed";
      /** Offset of the `${{`. */
      open: number;
    };

/**
 * The literal text and expressions of a string, in order (adjacent literal text merged; escapes resolved).
 * @example splitTemplate("hi ${{ trigger.body.name }}!") // [text "hi ", expr "trigger.body.name" at 6, text "!"]
 */
export function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf(OPEN, i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    if (open > 0 && text[open - 1] === "$") {
      literal += text.slice(i, open - 1) + OPEN;
      i = open + OPEN.length;
      continue;
    }
    literal += text.slice(i, open);
    if (literal) parts.push({ type: "text", text: literal });
    literal = "";
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close === -1) {
      parts.push({ type: "unclosed", open });
      return parts;
    }
    const raw = text.slice(open + OPEN.length, close);
    const start = open + OPEN.length + (raw.length - raw.trimStart().length);
    parts.push({ type: "expr", source: raw.trim(), start });
    i = close + CLOSE.length;
  }
  if (literal) parts.push({ type: "text", text: literal });
  return parts;
}

/**
 * The expression of a bare field (`when`, `idempotencyKey`): the trimmed text, or what is inside `${{ }}` when
 * the whole field is wrapped in one; `start` is its offset in the field.
 * @example bareExpression(" ${{ a > 1 }}") // { source: "a > 1", start: 5 }
 */
export function bareExpression(text: string): { source: string; start: number } {
  const trimmed = text.trim();
  let source = trimmed;
  let start = text.indexOf(trimmed);
  if (trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE)) {
    const inner = trimmed.slice(OPEN.length, -CLOSE.length);
    source = inner.trim();
    start += OPEN.length + (inner.length - inner.trimStart().length);
  }
  return { source, start };
}
