import type { FlowDocument, TriggerDecl } from "./types.ts";

/** A trigger of a flow with its id: its own `id`, else `<type>`, or `<type>-<index>` when the type repeats. */
export interface NamedTrigger {
  id: string;
  trigger: TriggerDecl;
}

/** The secret binding a GitHub trigger verifies deliveries with when it names none. */
export const DEFAULT_WEBHOOK_SECRET = "GITHUB_WEBHOOK_SECRET";

/**
 * A trigger's id: its own `id`, else `<type>` when it is the flow's only trigger of that type (`sameType` is how
 * many the flow has), else `<type>-<index>` (its index in `triggers`). The one definition: the validator, the
 * hosts and `flows run --trigger` all name triggers with it.
 * @example triggerId({ type: "cron", schedule: "0 3 * * *" }, 1, 2) // "cron-1"
 */
export function triggerId(trigger: TriggerDecl, index: number, sameType: number): string {
  return trigger.id ?? (sameType > 1 ? `${trigger.type}-${index}` : trigger.type);
}

/**
 * The flow's triggers with their ids, as every host names them (run logs, `trigger.id`, `flows run --trigger`).
 * @example namedTriggers(doc).map((t) => t.id) // ["http", "cron"]
 */
export function namedTriggers(doc: FlowDocument): NamedTrigger[] {
  const counts = new Map<string, number>();
  for (const t of doc.triggers) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  return doc.triggers.map((trigger, index) => ({
    id: triggerId(trigger, index, counts.get(trigger.type) ?? 1),
    trigger,
  }));
}
