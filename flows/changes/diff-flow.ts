import type { Json } from "../ir/types.ts";
import { sameJson } from "./canonical.ts";
import { change, code, duration, list } from "./format.ts";
import { type BindingModel, bindingLabel, type EffectSite, type FlowModel } from "./model.ts";
import type { Change } from "./types.ts";

/**
 * Flow-level changes (version, description, result node, deadline), bindings and secrets, and what the
 * changes mean for effects: each effect site (an effect of a kind on a binding, URL, route or flow) that appears
 * or disappears, and the flow's determinism and set of effects.
 */

export function diffFlowFields(b: FlowModel, a: FlowModel): Change[] {
  const out: Change[] = [];
  if (b.version !== a.version)
    out.push(
      change("flow", "changed", "flow version", `version ${code(b.version)} → ${code(a.version)}`, {
        field: "version",
        before: b.version,
        after: a.version,
      }),
    );
  if (b.description !== a.description)
    out.push(
      change("flow", "changed", "flow description", "description changed", {
        field: "description",
        before: b.description,
        after: a.description,
      }),
    );
  if (b.output !== a.output)
    out.push(
      change(
        "responses",
        "changed",
        "flow output",
        a.output === null
          ? `the run's result is no longer a node's output (was \`${b.output}\`)`
          : `the run's result is now the output of \`${a.output}\`${b.output === null ? "" : ` (was \`${b.output}\`)`}`,
        { field: "output", before: b.output, after: a.output },
      ),
    );
  if (b.deadlineMs !== a.deadlineMs)
    out.push(
      change(
        "policies",
        "changed",
        "flow deadline",
        `run deadline ${duration(b.deadlineMs)} → ${duration(a.deadlineMs)}`,
        {
          field: "deadline",
          before: b.deadlineMs,
          after: a.deadlineMs,
        },
      ),
    );
  return out;
}

const bindingJson = (b: BindingModel): Json => ({ type: b.type, ...b.attributes });

function describeBinding(b: BindingModel): string {
  const attrs = b.attributes;
  switch (b.type) {
    case "secret":
      return `secret \`${b.name}\``;
    case "var":
      return `var \`${b.name}\` = ${code(attrs.value ?? null)}`;
    case "r2":
      return `${bindingLabel("r2", b.name)} (bucket ${code(attrs.bucket ?? null)})`;
    case "queue":
      return `queue producer \`${b.name}\` (queue ${code(attrs.queue ?? null)})`;
    case "durableObject":
      return `${bindingLabel("durableObject", b.name)} (class ${code(attrs.className ?? null)})`;
    default:
      return `${bindingLabel(b.type, b.name)} binding`;
  }
}

export const bindingAdded = (a: BindingModel): Change =>
  change(
    "bindings",
    "added",
    `binding ${a.name}`,
    a.type === "secret"
      ? `new secret \`${a.name}\`: set it before deploying (\`wrangler secret put ${a.name}\`)`
      : `new ${describeBinding(a)}`,
    { after: bindingJson(a) },
  );

export const bindingRemoved = (b: BindingModel): Change =>
  change(
    "bindings",
    "removed",
    `binding ${b.name}`,
    `${describeBinding(b)} removed: a deployed Worker keeps it until it is removed from the Worker's configuration`,
    { before: bindingJson(b) },
  );

export function diffBindings(b: FlowModel, a: FlowModel): Change[] {
  const out: Change[] = [];
  for (const [name, before] of b.bindings) {
    const after = a.bindings.get(name);
    if (!after) out.push(bindingRemoved(before));
    else if (!sameJson(bindingJson(before), bindingJson(after))) {
      const message =
        before.type !== after.type
          ? `binding \`${name}\`: ${describeBinding(before)} → ${describeBinding(after)}`
          : before.type === "var"
            ? `var \`${name}\`: ${code(before.attributes.value ?? null)} → ${code(after.attributes.value ?? null)}`
            : `${describeBinding(before)} → ${describeBinding(after)}`;
      out.push(
        change("bindings", "changed", `binding ${name}`, message, {
          field: before.type !== after.type ? "type" : "value",
          before: bindingJson(before),
          after: bindingJson(after),
        }),
      );
    } else if (before.description !== after.description)
      out.push(
        change("bindings", "changed", `binding ${name}`, `binding \`${name}\`: description changed`, {
          field: "description",
          before: before.description,
          after: after.description,
        }),
      );
  }
  for (const [name, after] of a.bindings) if (!b.bindings.has(name)) out.push(bindingAdded(after));
  return out;
}

/** `external http.fetch to \`${{ vars.API }}\``: an effect site, as subjects name it. */
export const siteKey = (s: EffectSite): string => `${s.effect} ${s.kind}${s.target ? ` to ${s.target}` : ""}`;

function sites(flow: FlowModel | undefined): Map<string, EffectSite> {
  const out = new Map<string, EffectSite>();
  for (const node of flow?.nodes.values() ?? []) for (const s of node.sites) out.set(siteKey(s), s);
  return out;
}

const siteText = (s: EffectSite): string => `\`${s.kind}\`${s.target ? ` to ${s.target}` : ""}`;

/**
 * Effects that appear or disappear (by kind and target), and the flow's determinism and effects. Either side may
 * be missing (an added or removed flow).
 */
export function diffEffects(b: FlowModel | undefined, a: FlowModel | undefined): Change[] {
  const out: Change[] = [];
  const before = sites(b);
  const after = sites(a);
  for (const [key, s] of after)
    if (!before.has(key))
      out.push(change("effects", "added", key, `new ${s.effect} effect: ${siteText(s)}`, { after: key }));
  for (const [key, s] of before)
    if (!after.has(key))
      out.push(
        change("effects", "removed", key, `${s.effect} effect removed: ${siteText(s)}`, { before: key }),
      );
  if (b && a && b.determinism !== a.determinism)
    out.push(
      change(
        "effects",
        "changed",
        "flow determinism",
        `determinism ${code(b.determinism)} → ${code(a.determinism)}`,
        {
          field: "determinism",
          before: b.determinism,
          after: a.determinism,
        },
      ),
    );
  if (b && a && !sameJson(b.effects, a.effects))
    out.push(
      change("effects", "changed", "flow effects", `effects ${list(b.effects)} → ${list(a.effects)}`, {
        field: "effects",
        before: b.effects,
        after: a.effects,
      }),
    );
  return out;
}
