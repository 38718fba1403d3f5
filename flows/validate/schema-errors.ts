import type { ValidationCode } from "../diagnostics/index.ts";
import { parsePointer, toPointer } from "../load/pointer.ts";
import { DURATION_PATTERN } from "../units/duration.ts";
import { SIZE_PATTERN } from "../units/size.ts";
import type { CompiledValidationError } from "./types.ts";
import { closest, list, quote, typeName } from "./words.ts";

/** A schema error turned into words, ready to be located and reported. */
export interface SchemaFinding {
  code: ValidationCode;
  pointer: string;
  message: string;
  /** Locate the key of the entry (unknown field, bad name) rather than its value. */
  key?: boolean;
  hint?: string;
}

type Schema = { readonly [key: string]: unknown };

/** What a few patterns of the flow and kind schemas mean, in words. */
const PATTERNS: Record<string, string> = {
  "^[a-z][a-z0-9-]{0,62}$":
    "a lowercase letter, then lowercase letters, digits or '-' (at most 63 characters), e.g. `my-flow`",
  "^[a-z][a-zA-Z0-9_]{0,63}$":
    "a lowercase letter, then letters, digits or '_' (at most 64 characters), e.g. `fetchUser`",
  "^[A-Z][A-Z0-9_]*$": "UPPER_SNAKE_CASE, e.g. `FLOW_KV`",
  [DURATION_PATTERN]: "a duration: digits and a unit (ms, s, m, h or d), e.g. `250ms`, `5s`, `2m`",
  "^[a-z0-9][a-z0-9-]{0,62}$": "a queue name: lowercase letters, digits and '-', e.g. `orders`",
  "^/[^\\s?#]*$": "a path starting with `/`, without spaces, `?` or `#`, e.g. `/users/:id`",
  "^[0-9A-Za-z*,/?#-]+( +[0-9A-Za-z*,/?#-]+){4}$": "five cron fields separated by spaces, e.g. `*/5 * * * *`",
  "^(\\*|[a-z_]+(\\.([a-z_]+|\\*))?)$":
    "a GitHub event such as `issues`, `issues.opened`, `pull_request.*` or `*`",
  [SIZE_PATTERN]: "a size: a number and a unit (b, kb or mb; KiB, MiB), e.g. `512kb`, `1.5mb`",
  "^[a-z][a-zA-Z0-9_-]*(\\.[a-z][a-zA-Z0-9_-]*)*$": "a kind name such as `transform` or `http.fetch`",
  "^[A-Za-z_$][A-Za-z0-9_$]*$": "a JavaScript class name",
  "^[a-z][a-zA-Z0-9_]*$": "a lowercase letter, then letters, digits or '_'",
};

const SEMVER_PREFIX = "^(0|[1-9][0-9]*)\\.";

function describePattern(pattern: string): string {
  if (pattern.startsWith(SEMVER_PREFIX)) return "a semantic version such as `1.0.0`";
  return PATTERNS[pattern] ?? `text matching the pattern \`${pattern}\``;
}

/** Resolves a local `$ref` (`#/$defs/x`) against the root schema. */
function deref(root: Schema, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let guard = 0; s && typeof s.$ref === "string" && guard < 32; guard++) {
    const ref = s.$ref as string;
    if (!ref.startsWith("#")) return undefined;
    let target: unknown = root;
    for (const seg of parsePointer(ref.slice(1)))
      target = (target as Record<string, unknown> | undefined)?.[seg];
    s = target as Schema | undefined;
  }
  return s;
}

/** The branch of a `discriminator` + `oneOf` schema chosen by the data's tag. */
function branchFor(root: Schema, schema: Schema, data: unknown): Schema | undefined {
  const tag = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!tag || !Array.isArray(schema.oneOf)) return undefined;
  const value = (data as Record<string, unknown> | null)?.[tag];
  for (const option of schema.oneOf as Schema[]) {
    const b = deref(root, option);
    if ((b?.properties as Record<string, Schema> | undefined)?.[tag]?.const === value) return b;
  }
  return undefined;
}

/** The discriminator values a `oneOf` schema accepts. */
function tagValues(root: Schema, schema: Schema | undefined): string[] {
  const tag = (schema?.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!schema || !tag || !Array.isArray(schema.oneOf)) return [];
  return (schema.oneOf as Schema[]).map((o) =>
    String((deref(root, o)?.properties as Record<string, Schema> | undefined)?.[tag]?.const),
  );
}

/** The (dereferenced) schema that applies at an instance path, following the data. */
export function schemaAt(root: Schema, data: unknown, segments: readonly string[]): Schema | undefined {
  let schema = deref(root, root);
  let value = data;
  for (const seg of segments) {
    if (!schema) return undefined;
    schema = branchFor(root, schema, value) ?? schema;
    const props = schema.properties as Record<string, Schema> | undefined;
    let next: Schema | undefined;
    if (Array.isArray(value)) next = schema.items as Schema | undefined;
    else if (props && Object.hasOwn(props, seg)) next = props[seg];
    else if (typeof schema.additionalProperties === "object") next = schema.additionalProperties as Schema;
    schema = deref(root, next);
    value = (value as Record<string, unknown> | null)?.[seg];
  }
  return schema ? (branchFor(root, schema, value) ?? schema) : undefined;
}

/** `nodes[2].retry.attempts`: a pointer as people read it. */
export function displayPath(pointer: string): string {
  let out = "";
  for (const seg of parsePointer(pointer)) out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || "the document";
}

const valueAt = (data: unknown, segments: readonly string[]): unknown => {
  let v = data;
  for (const s of segments) v = (v as Record<string, unknown> | null)?.[s];
  return v;
};

/** How a value shows in a message. */
function shown(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return quote(text !== undefined && text.length > 60 ? `${text.slice(0, 57)}...` : String(text));
}

/**
 * Turns compiled-validator errors into readable findings. `base` is the pointer of the validated value inside
 * the document (`""` for the document, `/nodes/3/config` for a config), `code` overrides every code (config).
 */
export function explainSchemaErrors(
  errors: readonly CompiledValidationError[],
  root: Schema,
  data: unknown,
  base = "",
  code?: ValidationCode,
): SchemaFinding[] {
  const findings: SchemaFinding[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const f = explainOne(e, root, data, base);
    if (!f) continue;
    if (code) f.code = code;
    const id = `${f.pointer}\n${f.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    findings.push(f);
  }
  return findings;
}

function explainOne(
  e: CompiledValidationError,
  root: Schema,
  data: unknown,
  base: string,
): SchemaFinding | undefined {
  const segments = parsePointer(e.instancePath);
  const at = base + e.instancePath;
  const where = `\`${displayPath(at)}\``;
  const p = e.params as Record<string, unknown>;
  const value = valueAt(data, segments);
  const propertyName = (e as { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const pattern =
      typeof p.pattern === "string" ? ` must be ${describePattern(p.pattern)}` : " is not allowed";
    return {
      code: "FLOW_SCHEMA_VALUE",
      pointer: base + toPointer([...segments, propertyName]),
      key: true,
      message: `the name ${quote(propertyName)} in ${where}${pattern}`,
    };
  }
  switch (e.keyword) {
    case "propertyNames":
    case "oneOf":
    case "anyOf":
    case "allOf":
    case "if":
      return undefined;
    case "required":
      return {
        code: "FLOW_SCHEMA_REQUIRED",
        pointer: at,
        message: `${where} is missing the required field ${quote(String(p.missingProperty))}`,
      };
    case "additionalProperties": {
      const name = String(p.additionalProperty);
      const allowed = Object.keys((schemaAt(root, data, segments)?.properties as object | undefined) ?? {});
      const guess = closest(name, allowed);
      return {
        code: "FLOW_SCHEMA_UNKNOWN_FIELD",
        pointer: base + toPointer([...segments, name]),
        key: true,
        message: `unknown field ${quote(name)} in ${where}${guess ? `: did you mean ${quote(guess)}?` : ""}`,
        hint: allowed.length ? `allowed fields: ${list(allowed)}` : "this object takes no fields",
      };
    }
    case "discriminator": {
      if (p.error === "tag" && p.tagValue === undefined) return undefined; // reported as `required`
      const options = tagValues(root, schemaAt(root, data, segments));
      const tag = String(p.tag);
      const guess = typeof p.tagValue === "string" ? closest(p.tagValue, options) : undefined;
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: `${at}/${tag}`,
        message: `${where} has an unknown ${quote(tag)} ${shown(p.tagValue)}${guess ? `: did you mean ${quote(guess)}?` : ""}${options.length ? ` (use one of ${list(options)})` : ""}`,
      };
    }
    case "type": {
      const expected = String(p.type).replace(",", " or ");
      // Say what the string must look like (`version`: a semantic version), and show a number as read.
      const pattern = schemaAt(root, data, segments)?.pattern;
      const shape = typeof pattern === "string" ? `, ${describePattern(pattern)}` : "";
      const actual = typeof value === "number" ? `the number ${value}` : typeName(value);
      let hint: string | undefined;
      if (typeof value === "number" && expected === "string") {
        hint =
          segments.at(-1) === "version"
            ? 'quote it: YAML reads an unquoted 1.0 as a number; write version: "1.0.0"'
            : "quote it: YAML reads unquoted digits as a number";
      }
      return {
        code: "FLOW_SCHEMA_TYPE",
        pointer: at,
        message: `${where} must be ${article(expected)}${shape} (it is ${actual})`,
        hint,
      };
    }
    case "enum": {
      const options = (p.allowedValues as unknown[]).map(String);
      const guess = typeof value === "string" ? closest(value, options) : undefined;
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} is ${shown(value)}: use one of ${list(options)}${guess ? ` (did you mean ${quote(guess)}?)` : ""}`,
      };
    }
    case "const":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} must be ${shown(p.allowedValue)} (it is ${shown(value)})`,
      };
    case "pattern":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} is ${shown(value)}: it must be ${describePattern(String(p.pattern))}`,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} is ${shown(value)}: it must be ${String(p.comparison)} ${String(p.limit)}`,
      };
    case "minItems":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} needs at least ${String(p.limit)} item(s)`,
      };
    case "maxItems":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} takes at most ${String(p.limit)} item(s)`,
      };
    case "minLength":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message:
          Number(p.limit) === 1
            ? `${where} must not be empty`
            : `${where} must have at least ${String(p.limit)} characters`,
      };
    case "maxLength":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: at,
        message: `${where} must have at most ${String(p.limit)} characters`,
      };
    case "uniqueItems":
      return {
        code: "FLOW_SCHEMA_VALUE",
        pointer: `${at}/${String(p.i)}`,
        message: `${where} lists the same value twice (items ${String(p.j)} and ${String(p.i)}): remove the repeat`,
      };
    default:
      return { code: "FLOW_SCHEMA_VALUE", pointer: at, message: `${where} ${e.message ?? "is not valid"}` };
  }
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
