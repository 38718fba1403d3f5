import type { Effect, FlowDocument, Json } from "../flows/ir/types.ts";
import type { KindRegistry } from "./kinds/types.ts";
import { strongerEffect } from "./plan-step.ts";

/**
 * The strongest effect of a flow's nodes (node templates included), read from its document and the kinds without
 * planning it: what its plan's `effect` will be. Undefined when a kind (or a template) is unknown. A host uses it
 * to decide how to run a flow before the flow's plan exists (the webhook flow runs routes that are all `pure` before
 * recording the delivery, in one ledger call).
 * @example flowEffect(doc, registry) // "pure"
 */
export function flowEffect(doc: FlowDocument, registry: KindRegistry): Effect | undefined {
  let effect: Effect = "pure";
  const visit = (kindName: unknown, config: unknown): boolean => {
    const kind =
      typeof kindName === "string" && Object.hasOwn(registry, kindName) ? registry[kindName] : undefined;
    if (!kind) return false;
    effect = strongerEffect(effect, kind.spec.effect);
    if (kind.template === undefined) return true;
    const template = (config as Record<string, Json> | undefined)?.[kind.template] as
      | { kind?: unknown; config?: unknown }
      | undefined;
    return typeof template === "object" && template !== null && visit(template.kind, template.config);
  };
  for (const node of doc.nodes) if (!visit(node.kind, node.config)) return undefined;
  return effect;
}
