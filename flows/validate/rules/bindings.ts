import { OBJECT_CLASSES, RUNTIME_CLASS, STATE_CLASS } from "../../ir/objects.ts";
import type { BindingType, Json } from "../../ir/types.ts";
import type { NodeKindSpec } from "../../kinds/spec.ts";
import { childPointer } from "../../load/index.ts";
import { configOf, type FlowCheck, nodeLabel } from "../context.ts";
import { list, quote } from "../words.ts";
import { bindingsOfType } from "./triggers.ts";

const EXAMPLES: Record<BindingType, string> = {
  kv: "FLOW_KV: { type: kv }",
  r2: "FLOW_BUCKET: { type: r2, bucket: my-bucket }",
  queue: "FLOW_QUEUE: { type: queue, queue: my-queue }",
  durableObject: "FLOW_DO: { type: durableObject, className: FlowsState }",
  analyticsEngine: "FLOWS_METRICS: { type: analyticsEngine, dataset: flows_runs }",
  var: "MY_VAR: { type: var, value: ... }",
  secret: "MY_SECRET: { type: secret }",
};

function checkNeeds(
  check: FlowCheck,
  label: string,
  spec: NodeKindSpec,
  config: Record<string, Json>,
  pointer: string,
): void {
  const needs = spec.needs ?? [];
  if (needs.length === 0) return;
  const bindings = check.doc.bindings ?? {};
  let remaining = [...needs];
  if (typeof config.binding === "string") {
    const name = config.binding;
    const at = childPointer(pointer, "config", "binding");
    const decl = Object.hasOwn(bindings, name) ? bindings[name] : undefined;
    if (!decl) {
      check.report(
        "FLOW_BINDING_MISSING",
        at,
        `${label} uses binding ${quote(name)}, which the flow does not declare`,
        {
          hint: `declare it under bindings, e.g. \`${EXAMPLES[needs[0]!].replace(/^\w+/, name)}\``,
        },
      );
      return;
    }
    if (!needs.includes(decl.type)) {
      check.report(
        "FLOW_BINDING_WRONG_TYPE",
        at,
        `${label} uses binding ${quote(name)}, a \`${decl.type}\` binding; this kind needs ${list(needs)}`,
        { hint: `name a binding of type ${list(needs)} in config.binding` },
      );
      return;
    }
    remaining = remaining.filter((t) => t !== decl.type);
  }
  for (const type of remaining) {
    const candidates = bindingsOfType(check, type);
    if (candidates.length === 1) continue;
    if (candidates.length === 0) {
      check.report(
        type === "queue" ? "FLOW_QUEUE_BINDING_MISSING" : "FLOW_BINDING_MISSING",
        pointer,
        `${label} needs a \`${type}\` binding and the flow declares none`,
        { hint: `declare one under bindings, e.g. \`${EXAMPLES[type]}\`` },
      );
    } else {
      check.report(
        "FLOW_BINDING_AMBIGUOUS",
        pointer,
        `${label} needs a \`${type}\` binding and the flow declares ${candidates.length} (${list(candidates)})`,
        { hint: "name the one to use in `config.binding`" },
      );
    }
  }
}

/** A `durableObject` binding names a class a flows Worker exports (`flows package` could not build it otherwise). */
function checkObjectClasses(check: FlowCheck): void {
  for (const [name, decl] of Object.entries(check.doc.bindings ?? {})) {
    if (decl.type !== "durableObject" || OBJECT_CLASSES.includes(decl.className)) continue;
    check.report(
      "FLOW_DO_CLASS_UNKNOWN",
      childPointer("/bindings", name, "className"),
      `binding ${quote(name)} names Durable Object class ${quote(decl.className)}; a flows Worker exports only \`${STATE_CLASS}\` (user state, for do.* nodes) and \`${RUNTIME_CLASS}\``,
      { hint: `use \`className: ${STATE_CLASS}\`` },
    );
  }
}

/** `metrics:` names an analyticsEngine binding the flow declares, or the flow declares exactly one. */
function checkMetrics(check: FlowCheck): void {
  const metrics = check.doc.metrics;
  if (!metrics) return;
  const bindings = check.doc.bindings ?? {};
  const name = metrics.binding;
  if (name !== undefined) {
    const decl = Object.hasOwn(bindings, name) ? bindings[name] : undefined;
    const at = "/metrics/binding";
    if (!decl)
      check.report(
        "FLOW_BINDING_MISSING",
        at,
        `metrics: binding ${quote(name)} is not declared by the flow`,
        {
          hint: `declare it under bindings, e.g. \`${EXAMPLES.analyticsEngine.replace(/^\w+/, name)}\``,
        },
      );
    else if (decl.type !== "analyticsEngine")
      check.report(
        "FLOW_BINDING_WRONG_TYPE",
        at,
        `metrics: binding ${quote(name)} is a \`${decl.type}\` binding; metrics are written to an \`analyticsEngine\` one`,
        { hint: `declare it as \`${EXAMPLES.analyticsEngine.replace(/^\w+/, name)}\`` },
      );
    return;
  }
  const candidates = bindingsOfType(check, "analyticsEngine");
  if (candidates.length === 0)
    check.report(
      "FLOW_BINDING_MISSING",
      "/metrics",
      "metrics: the flow declares no `analyticsEngine` binding",
      {
        hint: `declare one under bindings, e.g. \`${EXAMPLES.analyticsEngine}\``,
      },
    );
  else if (candidates.length > 1)
    check.report(
      "FLOW_BINDING_AMBIGUOUS",
      "/metrics",
      `metrics: the flow declares ${candidates.length} \`analyticsEngine\` bindings (${list(candidates)})`,
      { hint: "name the one to write to in `metrics.binding`" },
    );
}

/**
 * Binding rules: Durable Object classes, the metrics dataset, and every node (and map template) whose kind needs bindings finds them: the one named in
 * `config.binding` (declared, of a needed type), else the only binding of each needed type.
 */
export function checkBindings(check: FlowCheck): void {
  checkObjectClasses(check);
  checkMetrics(check);
  check.doc.nodes.forEach((node, i) => {
    const spec = check.specs[i];
    if (!spec) return;
    const pointer = `/nodes/${i}`;
    const config = configOf(node.config);
    checkNeeds(check, nodeLabel(node.id, spec.kind), spec, config, pointer);
    for (const t of check.templates.get(i) ?? []) checkNeeds(check, t.label, t.spec, t.config, t.pointer);
  });
}
