import { DEFAULT_WEBHOOK_SECRET, namedTriggers } from "../../ir/triggers.ts";
import type { BindingType } from "../../ir/types.ts";
import type { FlowCheck } from "../context.ts";
import { checkCron } from "../cron.ts";
import { quote } from "../words.ts";

/** Names of the bindings of one type. */
export function bindingsOfType(check: FlowCheck, type: BindingType): string[] {
  return Object.entries(check.doc.bindings ?? {})
    .filter(([, decl]) => decl.type === type)
    .map(([name]) => name);
}

/**
 * Trigger rules: duplicate trigger ids (explicit or default), cron schedules, the secret binding of GitHub triggers, and the
 * queue binding of a flow with a queue trigger.
 */
export function checkTriggers(check: FlowCheck): void {
  const seen = new Map<string, number>();
  const bindings = check.doc.bindings ?? {};
  namedTriggers(check.doc).forEach(({ id, trigger }, i) => {
    const pointer = `/triggers/${i}`;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else {
      const implicit = trigger.id === undefined ? " (its default id)" : "";
      check.report(
        "FLOW_DUPLICATE_TRIGGER_ID",
        trigger.id !== undefined ? `${pointer}/id` : pointer,
        `trigger id ${quote(id)}${implicit} is used twice (first at line ${check.lineOf(`/triggers/${first}`)}): trigger ids must be unique in a flow`,
        { hint: "give the triggers distinct `id`s" },
      );
    }
    if (trigger.type === "http" && trigger.onDisconnect === "continue") {
      if ((trigger.response ?? "json") !== "sse")
        check.report(
          "FLOW_ON_DISCONNECT_INVALID",
          `${pointer}/onDisconnect`,
          `\`onDisconnect: continue\` needs \`response: sse\`: only an event stream can be resumed (this route answers \`${trigger.response ?? "json"}\`)`,
          { hint: "set `response: sse`, or remove `onDisconnect` (a JSON run always ends with its request)" },
        );
      else if (trigger.body === "stream")
        check.report(
          "FLOW_ON_DISCONNECT_INVALID",
          `${pointer}/body`,
          "`onDisconnect: continue` reads the body whole before the run moves to its Durable Object: it cannot be `body: stream`",
          { hint: "use `body: parsed` or `body: raw`, or remove `onDisconnect`" },
        );
    }
    if (trigger.type === "cron") {
      for (const problem of checkCron(trigger.schedule)) {
        check.report(
          "FLOW_CRON_INVALID",
          `${pointer}/schedule`,
          `invalid cron schedule: ${problem.message}`,
          {
            index: problem.offset,
            hint: "fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or JAN-DEC) day-of-week (0-7 or SUN-SAT)",
          },
        );
      }
    }
    if (trigger.type === "github") {
      const name = trigger.secret ?? DEFAULT_WEBHOOK_SECRET;
      const decl = Object.hasOwn(bindings, name) ? bindings[name] : undefined;
      const at = trigger.secret !== undefined ? `${pointer}/secret` : pointer;
      if (!decl) {
        check.report(
          "FLOW_BINDING_MISSING",
          at,
          `the GitHub trigger verifies deliveries with the secret ${quote(name)}, which the flow does not declare`,
          { hint: `declare it under bindings: \`${name}: { type: secret }\`` },
        );
      } else if (decl.type !== "secret") {
        check.report(
          "FLOW_BINDING_WRONG_TYPE",
          at,
          `the GitHub trigger's webhook secret ${quote(name)} is declared as a \`${decl.type}\` binding; it must be a \`secret\``,
          { hint: "secrets are set with `wrangler secret put` and never written in the flow" },
        );
      }
      if (trigger.ack === "queue" && trigger.queue === undefined) {
        check.report(
          "FLOW_BINDING_MISSING",
          pointer,
          "a GitHub trigger with `ack: queue` needs `queue`: the name of the queue binding that carries deliveries",
          {
            hint: "add e.g. `queue: GITHUB_EVENTS` and declare `GITHUB_EVENTS: { type: queue, queue: github-events }`",
          },
        );
      } else if (trigger.ack === "queue" && trigger.queue !== undefined) {
        const queue = Object.hasOwn(bindings, trigger.queue) ? bindings[trigger.queue] : undefined;
        if (!queue) {
          check.report(
            "FLOW_BINDING_MISSING",
            `${pointer}/queue`,
            `the GitHub trigger hands deliveries to the queue binding ${quote(trigger.queue)}, which the flow does not declare`,
            { hint: `declare it under bindings: \`${trigger.queue}: { type: queue, queue: <queue name> }\`` },
          );
        } else if (queue.type !== "queue") {
          check.report(
            "FLOW_BINDING_WRONG_TYPE",
            `${pointer}/queue`,
            `the GitHub trigger's queue ${quote(trigger.queue)} is declared as a \`${queue.type}\` binding; it must be a \`queue\``,
          );
        }
      }
    }
    if (trigger.type === "queue" && bindingsOfType(check, "queue").length === 0) {
      check.report(
        "FLOW_QUEUE_BINDING_MISSING",
        `${pointer}/queue`,
        `the flow consumes queue ${quote(trigger.queue)} but declares no \`queue\` binding`,
        { hint: `declare one under bindings, e.g. \`QUEUE: { type: queue, queue: ${trigger.queue} }\`` },
      );
    }
  });
}
