import { configSchemaSources, configValidators } from "../../generated/validators.js";
import type { Json } from "../../ir/types.ts";
import { type NodeKindSpec, outputPorts } from "../../kinds/spec.ts";
import { childPointer } from "../../load/index.ts";
import { configOf, type FlowCheck } from "../context.ts";
import {
  checkConfigExpressions,
  checkTemplate,
  type ExpressionPlace,
  findExpression,
} from "../expressions.ts";
import { explainSchemaErrors } from "../schema-errors.ts";
import type { CompiledValidator } from "../types.ts";
import { closest, list, outputsText, quote } from "../words.ts";

/** The kind whose config holds a node template run per item (`config.node`). */
export const MAP_KIND = "map";
const MAX_CONFIG_ERRORS = 10;

/** What a node (or a map template) declares: its kind, inputs and config. */
export interface NodeBody {
  /** `node \`x\` (kind \`k\`)` or `the template of node \`x\``, for messages. */
  label: (kind?: string) => string;
  kind: string;
  inputs?: Record<string, Json>;
  config?: Record<string, Json>;
}

type Compiled = { validator?: CompiledValidator; stale?: boolean };
const compiledFor = new WeakMap<NodeKindSpec, Compiled>();

/** The build-generated config validator of a kind, unless the build predates the kind's current schema. */
function generatedValidator(spec: NodeKindSpec): Compiled {
  let found = compiledFor.get(spec);
  if (!found) {
    const validator = Object.hasOwn(configValidators, spec.kind) ? configValidators[spec.kind] : undefined;
    const current = validator && configSchemaSources[spec.kind] === JSON.stringify(spec.configSchema);
    found = current ? { validator } : { stale: validator !== undefined };
    compiledFor.set(spec, found);
  }
  return found;
}

function checkConfig(check: FlowCheck, body: NodeBody, spec: NodeKindSpec, pointer: string): boolean {
  const config = body.config ?? {};
  const own = check.options.configValidators;
  const compiled: Compiled =
    own && Object.hasOwn(own, spec.kind) ? { validator: own[spec.kind] } : generatedValidator(spec);
  if (!compiled.validator) {
    const why = compiled.stale
      ? "flows/generated/validators.js was built from an older schema of this kind: run `npm run build`"
      : "its schema was not compiled: list its capability package in `flows.capabilities` of package.json (or pass `configValidators`)";
    check.report(
      "FLOW_CONFIG_UNCHECKED",
      pointer,
      `the config of ${body.label(spec.kind)} was not checked: ${why}`,
    );
    return true;
  }
  if (compiled.validator(config)) return true;
  const findings = explainSchemaErrors(
    compiled.validator.errors ?? [],
    spec.configSchema,
    config,
    pointer,
    "FLOW_CONFIG_INVALID",
  );
  for (const f of findings.slice(0, MAX_CONFIG_ERRORS)) {
    check.report(f.code, f.pointer, `invalid config of ${body.label(spec.kind)}: ${f.message}`, {
      key: f.key,
      hint: f.hint,
    });
  }
  return false;
}

function checkInputs(check: FlowCheck, body: NodeBody, spec: NodeKindSpec, pointer: string): void {
  const inputs = body.inputs ?? {};
  const declared = Object.keys(spec.inputs);
  if (!spec.openInputs) {
    for (const name of Object.keys(inputs)) {
      if (Object.hasOwn(spec.inputs, name)) continue;
      const guess = closest(name, declared);
      check.report(
        "FLOW_UNKNOWN_INPUT",
        childPointer(pointer, "inputs", name),
        `${body.label(spec.kind)} has no input ${quote(name)}${guess ? `: did you mean ${quote(guess)}?` : ""} ${
          declared.length ? `(its inputs: ${list(declared)})` : "(this kind takes no inputs)"
        }`,
        { key: true, hint: "rename or remove it" },
      );
    }
  }
  for (const [name, port] of Object.entries(spec.inputs)) {
    if (!port.required || Object.hasOwn(inputs, name)) continue;
    const where = body.inputs ? childPointer(pointer, "inputs") : pointer;
    check.report("FLOW_INPUT_MISSING", where, `${body.label(spec.kind)} needs the input ${quote(name)}`, {
      key: body.inputs !== undefined,
      hint: `add \`${name}: <value or \${{ expression }}>\` under inputs`,
    });
  }
}

/** Looks a kind up in the catalog; an unknown kind lists the known ones and suggests the closest. */
export function lookupKind(check: FlowCheck, body: NodeBody, pointer: string): NodeKindSpec | undefined {
  const kind = body.kind;
  if (Object.hasOwn(check.catalog, kind)) return check.catalog[kind];
  const known = Object.keys(check.catalog)
    .filter((name) => !check.catalog[name]!.internal)
    .sort();
  const guess = closest(kind, known);
  check.report(
    "FLOW_UNKNOWN_KIND",
    pointer,
    `${body.label()} has unknown kind ${quote(kind)}${guess ? `: did you mean ${quote(guess)}?` : ""} (known kinds: ${list(known, 40)})`,
    { hint: "fix the kind name, or add the capability that provides it to the catalog" },
  );
  return undefined;
}

/**
 * Checks what a node or map template declares: kind, config (compiled validator), inputs, and the expressions
 * in its inputs and config. Returns the kind's spec when known.
 */
export function checkBody(
  check: FlowCheck,
  body: NodeBody,
  pointer: string,
  place: ExpressionPlace,
): NodeKindSpec | undefined {
  checkTemplate(check, body.inputs, childPointer(pointer, "inputs"), place);
  const spec = lookupKind(check, body, childPointer(pointer, "kind"));
  if (!spec) return undefined;
  const configOk = checkConfig(check, body, spec, childPointer(pointer, "config"));
  if (!configOk && !place.item) check.badConfig.add(place.from);
  checkInputs(check, body, spec, pointer);
  const config = body.config ?? {};
  const evaluated = new Set(spec.expressionConfig ?? []);
  const configPlace = { ...place, input: true };
  for (const [field, value] of Object.entries(config)) {
    const at = childPointer(pointer, "config", field);
    if (evaluated.has(field)) checkConfigExpressions(check, value, at, configPlace, field);
    else if (!(spec.kind === MAP_KIND && field === "node")) {
      const found = findExpression(value, at);
      if (found) {
        check.report(
          "FLOW_CONFIG_STATIC_EXPRESSION",
          found,
          `${body.label(spec.kind)} reads config field ${quote(field)} as is: its \`\${{ }}\` is not evaluated`,
          { hint: "pass the value through an input instead, or write `$${{` for a literal `${{`" },
        );
      }
    }
  }
  if (spec.kind === MAP_KIND && configOk) checkMapTemplate(check, body, config, pointer, place);
  return spec;
}

/** A map node's `config.node`: a node template run per item, which may use `item` and `index`. */
function checkMapTemplate(
  check: FlowCheck,
  body: NodeBody,
  config: Record<string, Json>,
  pointer: string,
  place: ExpressionPlace,
): void {
  const template = configOf(config.node);
  if (typeof template.kind !== "string") return;
  const at = childPointer(pointer, "config", "node");
  const inner: NodeBody = {
    label: (kind) => `the ${kind ? `\`${kind}\` ` : ""}template of ${body.label(MAP_KIND)}`,
    kind: template.kind,
    inputs: configOf(template.inputs),
    config: configOf(template.config),
  };
  if (template.inputs === undefined) delete inner.inputs;
  const spec = checkBody(check, inner, at, { ...place, item: true, input: false });
  if (!spec) return;
  const templates = check.templates.get(place.from) ?? [];
  templates.push({ spec, config: inner.config ?? {}, pointer: at, label: inner.label(spec.kind) });
  check.templates.set(place.from, templates);
  if (typeof template.port !== "string") return;
  const ports = safePorts(spec, inner.config ?? {});
  if (!ports.includes(template.port)) {
    check.report(
      "FLOW_UNKNOWN_PORT",
      childPointer(at, "port"),
      `the template of ${body.label(MAP_KIND)} collects port ${quote(template.port)}, which kind ${quote(spec.kind)} does not have ${outputsText(ports)}`,
      { hint: "set `port` to one of the template kind's outputs" },
    );
  }
}

/** Output ports of a kind for a config; a config the kind cannot read yields no ports rather than a throw. */
export function safePorts(spec: NodeKindSpec, config: Record<string, Json>): string[] {
  try {
    return outputPorts(spec, config);
  } catch {
    return [];
  }
}
