import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_RUNS_POLICY } from "../../flows/ir/runs.ts";
import type { Json } from "../../flows/ir/types.ts";
import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { formatDuration } from "../../flows/units/duration.ts";
import { DEFAULT_GITHUB_PATH } from "../../flows/validate/rules/deployment.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../../hosts/workers/body.ts";
import { DEFAULT_RETRY_DELAY_SECONDS } from "../../hosts/workers/queue.ts";
import { DEFAULT_DEADLINE_MS } from "../../kernel/plan.ts";
import { DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS } from "../../kernel/retry.ts";
import { GENERATED_DIR, SCHEMA_FILE } from "./validators.ts";

/**
 * The editor schema (`flows/generated/flow.schema.json`): `flow.v1.json` plus what an editor needs to complete
 * a node: its `kind` values (one `const` per kind, with its description), and for each kind (`if`/`then` on
 * `kind`) its `config` keys (the kind's config schema), its `inputs` ports (required ones required, unknown ones
 * refused unless the kind takes any), and the `default`s the runtime applies (timeouts, retries, body size,
 * trigger modes). Generated from the kind specs, capability packages included; only editors read it: the
 * validator checks flows against `flow.v1.json` and the compiled config schemas.
 */

export const EDITOR_SCHEMA_FILE = "flow.schema.json";
export const EDITOR_SCHEMA_ID = "https://flows.dev/schema/flow.schema.json";

/** `1048576` → `"1mb"`, `2048` → `"2kb"`: a byte size in the grammar of `maxBodySize` (`parseSize` reads it back). */
export function byteSizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}mb`;
  if (bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes}b`;
}

type Schema = { [key: string]: Json };

/** The defaults the runtime applies when a field is left out, by `$defs` entry and property. */
export const RUNTIME_DEFAULTS: Readonly<Record<string, Readonly<Record<string, Json>>>> = Object.freeze({
  retry: {
    attempts: 1,
    backoff: "exponential",
    delay: formatDuration(DEFAULT_RETRY_DELAY_MS),
    maxDelay: formatDuration(DEFAULT_RETRY_MAX_DELAY_MS),
    jitter: false,
    idempotent: false,
  },
  defaults: { deadline: formatDuration(DEFAULT_DEADLINE_MS) },
  httpTrigger: { response: "json", body: "parsed", maxBodySize: byteSizeText(DEFAULT_MAX_BODY_BYTES) },
  queueTrigger: { retryDelay: formatDuration(DEFAULT_RETRY_DELAY_SECONDS * 1000) },
  githubTrigger: { path: DEFAULT_GITHUB_PATH, ack: "sync" },
  runs: { ...DEFAULT_RUNS_POLICY },
});

function withDefault(property: Json | undefined, value: Json): Schema {
  const base = (
    property && typeof property === "object" && !Array.isArray(property) ? property : {}
  ) as Schema;
  return { ...base, default: value };
}

/** The `then` half for nodes of one kind: config, inputs and the kind's default timeout and retry. */
function kindRule(spec: NodeKindSpec): Schema {
  const ports = Object.entries(spec.inputs);
  const inputs: Schema = {
    type: "object",
    properties: Object.fromEntries(
      ports.map(([name, port]): [string, Schema] => [
        name,
        port.description ? { description: port.description } : {},
      ]),
    ),
  };
  const required = ports.filter(([, port]) => port.required).map(([name]) => name);
  if (required.length > 0) inputs.required = required;
  if (!spec.openInputs) inputs.additionalProperties = false;
  const properties: Schema = {
    config: structuredClone(spec.configSchema) as Schema,
    inputs,
  };
  if (spec.defaultTimeout) properties.timeout = { default: spec.defaultTimeout };
  if (spec.defaultRetry) properties.retry = { default: spec.defaultRetry as unknown as Json };
  return {
    if: { properties: { kind: { const: spec.kind } }, required: ["kind"] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `if`/`then` keywords.
    then: { properties },
  };
}

/** Where an editor accepts a parameter reference for a string of a fixed shape (the validator checks the value). */
const PARAM_REFERENCE: Schema = {
  description:
    "A parameter reference, `${{ params.<name> }}` (alone or inside text): replaced by the parameter's value.",
  type: "string",
  pattern: "\\$\\{\\{\\s*params\\.[A-Za-z_][A-Za-z0-9_]*\\s*\\}\\}",
};

/**
 * Lets every string with a `pattern` (a path, a queue name, a binding name in a kind's config...) be a parameter
 * reference instead: a flow with `params` is written with `${{ params.<name> }}` where the value goes, and the
 * validator checks the flow with the values in place (`flows/params`). Object keys (`propertyNames`), node kinds and
 * parameter names keep their shape.
 */
function acceptParamReferences(
  value: Json,
  keep: ReadonlySet<Json>,
  defs: Readonly<Record<string, Json>>,
): Json {
  if (value === null || typeof value !== "object" || keep.has(value)) return value;
  if (Array.isArray(value)) return value.map((item) => acceptParamReferences(item, keep, defs));
  const out: Schema = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === "propertyNames" ? keyShape(item, defs) : acceptParamReferences(item, keep, defs);
  }
  if (typeof out.pattern !== "string" || (out.type !== undefined && out.type !== "string")) return out;
  const { description, default: fallback, type: _, ...shape } = out;
  return {
    ...(description !== undefined ? { description } : {}),
    type: "string",
    ...(fallback !== undefined ? { default: fallback } : {}),
    anyOf: [shape, { $ref: "#/$defs/paramReference" }],
  };
}

/** The schema of object keys, with a `$ref` resolved to the definition as written (a key is never a reference). */
function keyShape(schema: Json, defs: Readonly<Record<string, Json>>): Json {
  const ref = (schema as Schema | null)?.$ref;
  const name =
    typeof ref === "string" && ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : undefined;
  return name !== undefined && defs[name] !== undefined ? structuredClone(defs[name]) : schema;
}

/**
 * The editor schema for a catalog: a copy of `base` (flow.v1.json) with kind completions, one `if`/`then` per
 * kind, the runtime's defaults, and parameter references accepted where a string has a fixed shape.
 * @example editorSchema(flowSchema, defaultCatalog()).$defs.node.allOf.length // one per kind
 */
export function editorSchema(base: Readonly<Schema>, catalog: KindCatalog): Schema {
  const schema = structuredClone(base) as Schema;
  schema.$id = EDITOR_SCHEMA_ID;
  const defs = schema.$defs as Record<string, Schema>;
  for (const [def, values] of Object.entries(RUNTIME_DEFAULTS)) {
    const target = defs[def];
    const properties = target?.properties as Record<string, Json> | undefined;
    if (!properties) throw new Error(`flow.v1.json has no $defs.${def}.properties`);
    for (const [name, value] of Object.entries(values)) {
      if (!Object.hasOwn(properties, name))
        throw new Error(`flow.v1.json has no $defs.${def}.properties.${name}`);
      properties[name] = withDefault(properties[name], value);
    }
  }
  const node = defs.node as Schema;
  const nodeProperties = node.properties as Record<string, Schema>;
  const kinds = Object.values(catalog).sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  const { description, ...kindPattern } = nodeProperties.kind as Schema;
  nodeProperties.kind = {
    ...(description !== undefined ? { description } : {}),
    // One `const` per known kind (completed, with its description); the pattern still admits a kind of a
    // capability this schema was not generated with (the validator reports unknown kinds).
    anyOf: [...kinds.map((spec) => ({ const: spec.kind, description: spec.description })), kindPattern],
  };
  node.allOf = kinds.map(kindRule);
  const keep = new Set<Json>([defs.paramName as Json, (nodeProperties.kind as Schema).anyOf as Json]);
  const withParams = acceptParamReferences(
    schema,
    keep,
    structuredClone(defs) as Record<string, Json>,
  ) as Schema;
  (withParams.$defs as Record<string, Schema>).paramReference = PARAM_REFERENCE;
  return withParams;
}

/** Writes `flows/generated/flow.schema.json` (or `file`) for a catalog; returns its path and size. */
export async function buildEditorSchema(
  catalog: KindCatalog,
  file: string = join(GENERATED_DIR, EDITOR_SCHEMA_FILE),
): Promise<{ file: string; bytes: number; kinds: number }> {
  const base = JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as JsonSchema;
  const text = `${JSON.stringify(editorSchema(base, catalog), null, 2)}\n`;
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, text);
  return { file, bytes: Buffer.byteLength(text), kinds: Object.keys(catalog).length };
}
