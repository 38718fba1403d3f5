import type { ValidationCode } from "../diagnostics/index.ts";
import type { ExpressionError } from "../expr/index.ts";
import { childPointer } from "../load/index.ts";
import type { FlowCheck } from "./context.ts";
import { findRestrictedRoots, type RestrictedRoot } from "./roots.ts";
import { compileBare, compileSegments, hasExpression, type Segment, type SegmentIssue } from "./segments.ts";
import { closest, list, quote } from "./words.ts";

/** Where an expression sits decides which context-bound roots it may use. */
export interface ExpressionPlace {
  /** Index of the node the expression belongs to (references become its dependencies). */
  from: number;
  /** `input` is allowed (config expressions, `idempotencyKey`). */
  input: boolean;
  /** `item` and `index` are allowed (inside a map template). */
  item: boolean;
}

const CODES: Record<ExpressionError["code"], ValidationCode> = {
  EXPR_SYNTAX: "FLOW_EXPR_SYNTAX",
  EXPR_TYPE: "FLOW_EXPR_TYPE",
  EXPR_LIMIT: "FLOW_EXPR_LIMIT",
  EXPR_EVAL: "FLOW_EXPR_TYPE",
};

const HINTS: Partial<Record<ValidationCode, string>> = {
  FLOW_EXPR_SYNTAX: "expressions are CEL inside `${{ }}`; write `$${{` for a literal `${{`",
  FLOW_EXPR_LIMIT: "split the expression, or compute part of it in a `transform` node",
};

/** Type errors, by what the checker says: the hint answers that problem. The first match wins. */
const TYPE_HINTS: readonly [RegExp, string][] = [
  [
    /^Unknown variable/i,
    "expressions may use trigger, nodes, vars and run (and input in config, item/index in map templates)",
  ],
  [
    /^Ternary branches/i,
    "both branches of `c ? a : b` must have one type: convert one (`string(x)`, `int(x)`, `double(x)`), or wrap one in `dyn(...)` to allow any",
  ],
  [
    /^Ternary condition/i,
    "the condition before `?` must be a boolean: compare the value (`x > 0`, `x != null`) or test a key with `has(x.y)`",
  ],
  [
    /overload: map<string, dyn> /i,
    "`input` is the node's inputs record, not one value: name the input, e.g. `input.value`",
  ],
  [
    /overload/i,
    "no operator or function takes these types: convert a value first (`string(x)`, `int(x)`, `double(x)`)",
  ],
];

function hintFor(code: ValidationCode, message: string): string | undefined {
  if (code !== "FLOW_EXPR_TYPE") return HINTS[code];
  return TYPE_HINTS.find(([pattern]) => pattern.test(message))?.[1];
}

function whereAllowed(root: RestrictedRoot): string {
  return root === "input"
    ? "`input` (the node's own evaluated inputs) can be used only in `idempotencyKey` and in the config fields a kind evaluates"
    : `\`${root}\` can be used only inside a \`map\` node's template (\`config.node\`)`;
}

function record(
  check: FlowCheck,
  pointer: string,
  place: ExpressionPlace,
  found: { segments: Segment[]; issues: SegmentIssue[] },
): void {
  for (const issue of found.issues) {
    const code = CODES[issue.error.code];
    check.report(code, pointer, `invalid expression: ${issue.error.message}`, {
      index: issue.offset,
      hint: hintFor(code, issue.error.message),
    });
  }
  for (const { expr, start } of found.segments) {
    for (const ref of expr.references) {
      check.references.push({
        from: place.from,
        node: ref.node,
        port: ref.port,
        pointer,
        index: start + ref.offset,
      });
    }
    for (const use of expr.vars) checkVar(check, use.name, pointer, start + use.offset);
    for (const use of findRestrictedRoots(expr.source)) {
      if (use.name === "input" ? place.input : place.item) continue;
      check.report(
        "FLOW_EXPR_ROOT_NOT_ALLOWED",
        pointer,
        `\`${use.name}\` is not available here: ${whereAllowed(use.name)}`,
        {
          index: start + use.offset,
        },
      );
    }
  }
}

/** `vars.<name>` must name a `var` binding of the flow: anything else is `null` at run time. */
function checkVar(check: FlowCheck, name: string, pointer: string, index: number): void {
  const bindings = check.doc.bindings ?? {};
  const decl = Object.hasOwn(bindings, name) ? bindings[name] : undefined;
  if (decl?.type === "var") return;
  const vars = Object.keys(bindings).filter((n) => bindings[n]!.type === "var");
  const guess = closest(name, vars);
  const why = decl
    ? `\`${name}\` is a \`${decl.type}\` binding, not a var: only \`var\` bindings are in \`vars\``
    : `the flow declares no var \`${name}\`${guess ? `: did you mean ${quote(guess)}?` : ""}`;
  check.report("FLOW_VAR_UNKNOWN", pointer, `\`vars.${name}\` is not a variable of this flow: ${why}`, {
    index,
    hint: decl
      ? "a secret is read by the kinds that name it; give the value a `var` binding if expressions need it"
      : `declare it under bindings, e.g. \`${name}: { type: var, value: ... }\`${vars.length ? ` (its vars: ${list(vars)})` : ""}`,
  });
}

/** Compiles every `${{ }}` in a JSON value (at any depth) and records its issues and references. */
export function checkTemplate(
  check: FlowCheck,
  value: unknown,
  pointer: string,
  place: ExpressionPlace,
): void {
  if (typeof value === "string") {
    if (hasExpression(value)) record(check, pointer, place, compileSegments(value));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkTemplate(check, item, childPointer(pointer, i), place);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value))
      checkTemplate(check, item, childPointer(pointer, key), place);
  }
}

/** Compiles a bare expression field (`when`, `idempotencyKey`). */
export function checkBare(check: FlowCheck, text: string, pointer: string, place: ExpressionPlace): void {
  record(check, pointer, place, compileBare(text));
}

/**
 * Compiles a config field that a kind evaluates: strings under a key named `when` are bare conditions (like a
 * node's `when`); every other string is a template.
 */
export function checkConfigExpressions(
  check: FlowCheck,
  value: unknown,
  pointer: string,
  place: ExpressionPlace,
  key: string,
): void {
  if (typeof value === "string") {
    if (key === "when") checkBare(check, value, pointer, place);
    else if (hasExpression(value)) record(check, pointer, place, compileSegments(value));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkConfigExpressions(check, item, childPointer(pointer, i), place, key);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [k, item] of Object.entries(value))
      checkConfigExpressions(check, item, childPointer(pointer, k), place, k);
  }
}

/** The first string in a value that holds `${{ }}`, with its pointer (for static config warnings). */
export function findExpression(value: unknown, pointer: string): string | undefined {
  if (typeof value === "string") return hasExpression(value) ? pointer : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findExpression(value[i], childPointer(pointer, i));
      if (found) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [k, item] of Object.entries(value)) {
      const found = findExpression(item, childPointer(pointer, k));
      if (found) return found;
    }
  }
  return undefined;
}
