import type { BindingDecl, FlowDocument, FlowParam, Json } from "../ir/types.ts";
import { childPointer } from "../load/pointer.ts";

/**
 * Flow parameters: what a flow is instantiated with. A flow declares them under `params` (each with a default, so
 * the flow as written is the flow of its defaults); `${{ params.<name> }}` anywhere in the document stands for the
 * value: a string that is exactly the reference becomes the value itself (any JSON), a reference inside a longer
 * string is replaced by the value's text. A parameter with `binding` names a binding: the instance declares that
 * binding under the name given. Substitution happens on the document, before anything reads it, so the
 * validator, the planner and the packager all see the real values (impl-docs/decisions/0010).
 */

/** `${{ params.<name> }}`: the whole string, and anywhere in a string. */
const WHOLE = /^\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const ANYWHERE = /\$\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const BINDING_NAME = /^[A-Z][A-Z0-9_]*$/;

export type ParamIssueCode = "FLOW_PARAM_UNKNOWN" | "FLOW_PARAM_INVALID";

/** A problem found while instantiating, located by a JSON pointer into the source document. */
export interface ParamIssue {
  code: ParamIssueCode;
  pointer: string;
  message: string;
  /** The character of the string value the reference starts at. */
  index?: number;
}

/** A flow with its parameters' values in place. */
export interface FlowInstance {
  document: FlowDocument;
  issues: ParamIssue[];
  /** Where a pointer into the instance comes from in the source (a binding parameter's binding: its `binding`). */
  sourcePointer(pointer: string): string;
}

type JsonObject = Record<string, unknown>;
const isRecord = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Equal JSON values (key order aside). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
  );
}

const mentionsParams = (value: unknown): boolean =>
  typeof value === "string"
    ? value.search(ANYWHERE) >= 0
    : Array.isArray(value)
      ? value.some(mentionsParams)
      : isRecord(value) && Object.values(value).some(mentionsParams);

const identity = (pointer: string): string => pointer;

/** The values of the declared parameters (given, else the default), checked against their declarations. */
function resolveValues(
  declared: Readonly<JsonObject>,
  values: Readonly<Record<string, Json>>,
  issues: ParamIssue[],
): Map<string, Json> {
  const names = Object.keys(declared);
  for (const name of Object.keys(values)) {
    if (Object.hasOwn(declared, name)) continue;
    const known = names.length > 0 ? names.map((n) => `\`${n}\``).join(", ") : "none";
    issues.push({
      code: "FLOW_PARAM_UNKNOWN",
      pointer: "/params",
      message: `the flow has no parameter \`${name}\` (its parameters: ${known})`,
    });
  }
  const resolved = new Map<string, Json>();
  for (const [name, decl] of Object.entries(declared)) {
    // A declaration the schema refuses (not an object, no default) is reported there: its references stay as written.
    if (!isRecord(decl)) continue;
    const given = Object.hasOwn(values, name);
    if (!given && !Object.hasOwn(decl, "default")) continue;
    const at = given ? "/params" : childPointer("/params", name, "default");
    const value = (given ? values[name] : decl.default) as Json;
    if (!given && mentionsParams(value)) {
      issues.push({
        code: "FLOW_PARAM_INVALID",
        pointer: at,
        message: `the default of parameter \`${name}\` refers to a parameter: a default is a plain value`,
      });
      continue;
    }
    const allowed = decl.enum;
    if (Array.isArray(allowed) && !allowed.some((v) => sameJson(v, value))) {
      issues.push({
        code: "FLOW_PARAM_INVALID",
        pointer: at,
        message: `parameter \`${name}\` is ${JSON.stringify(value)}; it must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`,
      });
      continue;
    }
    if (decl.binding !== undefined && (typeof value !== "string" || !BINDING_NAME.test(value))) {
      issues.push({
        code: "FLOW_PARAM_INVALID",
        pointer: at,
        message: `parameter \`${name}\` names a binding: it must be UPPER_SNAKE_CASE like \`GITHUB_WEBHOOK_SECRET\`, got ${JSON.stringify(value)}`,
      });
      continue;
    }
    resolved.set(name, value);
  }
  return resolved;
}

/** The text a value stands for inside a longer string. */
const textOf = (value: Json): string | undefined =>
  typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
      ? String(value)
      : undefined;

/** Replaces the references in a string; `undefined` when it has none. */
function substituteString(
  text: string,
  pointer: string,
  declared: Readonly<JsonObject>,
  resolved: ReadonlyMap<string, Json>,
  issues: ParamIssue[],
): { value: Json } | undefined {
  if (!text.includes("params.")) return undefined;
  const whole = WHOLE.exec(text);
  const unknown = (name: string, index: number): void => {
    issues.push({
      code: "FLOW_PARAM_UNKNOWN",
      pointer,
      index,
      message: `\`params.${name}\` is not a parameter of this flow: declare it under \`params\``,
    });
  };
  if (whole) {
    const name = whole[1]!;
    if (!Object.hasOwn(declared, name)) unknown(name, 0);
    return resolved.has(name) ? { value: structuredClone(resolved.get(name)!) } : undefined;
  }
  let changed = false;
  const out = text.replace(ANYWHERE, (match, name: string, index: number) => {
    if (!Object.hasOwn(declared, name)) {
      unknown(name, index);
      return match;
    }
    if (!resolved.has(name)) return match;
    const piece = textOf(resolved.get(name)!);
    if (piece === undefined) {
      issues.push({
        code: "FLOW_PARAM_INVALID",
        pointer,
        index,
        message: `parameter \`${name}\` is not a string, number or boolean: it can only stand alone as the whole value, not inside text`,
      });
      return match;
    }
    changed = true;
    return piece;
  });
  return changed ? { value: out } : undefined;
}

/**
 * The document with the parameters' values in place: each parameter takes `values[name]`, else its default (in
 * the instance, the declaration's `default` is the value it was given, so instantiating it again changes nothing).
 * `doc` is not changed; a document without parameters (and no values) is returned as it is. Problems (a value not
 * declared, a value outside `enum`, a binding parameter that is not a binding name, a reference to no parameter)
 * are `issues`; their references are left as written.
 * @example instantiateFlow(webhookFlow, { secret: "HOOK_SECRET" }).document.bindings.HOOK_SECRET // { type: "secret" }
 */
export function instantiateFlow(
  doc: FlowDocument,
  values: Readonly<Record<string, Json>> = {},
): FlowInstance {
  const declared: Readonly<JsonObject> = isRecord(doc.params) ? doc.params : {};
  if (doc.params === undefined && Object.keys(values).length === 0) {
    return { document: doc, issues: [], sourcePointer: identity };
  }
  const issues: ParamIssue[] = [];
  const resolved = resolveValues(declared, values, issues);
  const walk = (value: unknown, pointer: string): unknown => {
    if (typeof value === "string") {
      const replaced = substituteString(value, pointer, declared, resolved, issues);
      return replaced ? replaced.value : value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, childPointer(pointer, i)));
    if (!isRecord(value)) return value;
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, childPointer(pointer, key));
    return out;
  };
  const { params, ...rest } = doc;
  const document = walk(rest, "") as FlowDocument;
  if (params !== undefined) document.params = instanceParams(params, declared, resolved, walk);
  const moved = declareBindings(document, resolved, issues);
  const sourcePointer = (pointer: string): string => {
    for (const [at, from] of moved) {
      if (pointer === at || pointer.startsWith(`${at}/`)) return from + pointer.slice(at.length);
    }
    return pointer;
  };
  return { document, issues, sourcePointer };
}

/** The instance's declarations: defaults as given (never substituted), bindings with references substituted. */
function instanceParams(
  params: unknown,
  declared: Readonly<JsonObject>,
  resolved: ReadonlyMap<string, Json>,
  walk: (value: unknown, pointer: string) => unknown,
): Record<string, FlowParam> {
  if (!isRecord(params)) return params as Record<string, FlowParam>;
  const out: JsonObject = {};
  for (const [name, decl] of Object.entries(declared)) {
    if (!isRecord(decl)) {
      out[name] = decl;
      continue;
    }
    const copy: JsonObject = structuredClone(decl);
    if (resolved.has(name)) copy.default = structuredClone(resolved.get(name)!);
    if (decl.binding !== undefined)
      copy.binding = walk(decl.binding, childPointer("/params", name, "binding"));
    out[name] = copy;
  }
  return out as Record<string, FlowParam>;
}

/** Declares the binding of each binding parameter under its value; returns instance → source pointers. */
function declareBindings(
  document: FlowDocument,
  resolved: ReadonlyMap<string, Json>,
  issues: ParamIssue[],
): Map<string, string> {
  const moved = new Map<string, string>();
  for (const [name, decl] of Object.entries(document.params ?? {})) {
    if (!isRecord(decl) || decl.binding === undefined || !resolved.has(name)) continue;
    const bindingName = resolved.get(name) as string;
    const bindings: Record<string, BindingDecl> = isRecord(document.bindings) ? document.bindings : {};
    const before = bindings[bindingName];
    if (before !== undefined && !sameJson(before, decl.binding)) {
      issues.push({
        code: "FLOW_PARAM_INVALID",
        pointer: childPointer("/params", name),
        message: `parameter \`${name}\` declares binding \`${bindingName}\`, which \`bindings\` declares differently`,
      });
      continue;
    }
    bindings[bindingName] = structuredClone(decl.binding) as BindingDecl;
    document.bindings = bindings;
    if (before === undefined)
      moved.set(childPointer("/bindings", bindingName), childPointer("/params", name, "binding"));
  }
  return moved;
}
