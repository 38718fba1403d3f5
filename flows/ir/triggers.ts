import type { FlowDocument, TriggerDecl } from "./types.ts";

/** A trigger of a flow with its id: its own `id`, else `<type>`, or `<type>-<index>` when the type repeats. */
export interface NamedTrigger {
  id: string;
  trigger: TriggerDecl;
}

/**
 * The flow's triggers with their ids, as every host names them (run logs, `trigger.id`, `flows run --trigger`).
 * @example namedTriggers(doc).map((t) => t.id) // ["http", "cron"]
 */
export function namedTriggers(doc: FlowDocument): NamedTrigger[] {
  const counts = new Map<string, number>();
  for (const t of doc.triggers) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  return doc.triggers.map((trigger, index) => ({
    id: trigger.id ?? ((counts.get(trigger.type) ?? 1) > 1 ? `${trigger.type}-${index}` : trigger.type),
    trigger,
  }));
}
