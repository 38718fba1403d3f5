import { routeKey } from "../validate/rules/deployment.ts";
import type { FlowModel } from "./model.ts";
import type { SharedTrigger } from "./types.ts";

/**
 * Routes, queues and GitHub events that more than one flow of a set serves. A plan reports those of the new set
 * whose flows differ from the old set's: a flow that starts sharing a queue, or a second flow on an event.
 */

interface Served {
  type: SharedTrigger["type"];
  key: string;
  flows: Set<string>;
}

/** `issues` and `issues.*` are the same pattern; `*` matches every event. */
const normal = (pattern: string): string =>
  pattern.includes(".") || pattern === "*" ? pattern : `${pattern}.*`;

/** The events two patterns both take, as the more specific pattern, or undefined. */
function overlap(x: string, y: string): string | undefined {
  const a = normal(x);
  const b = normal(y);
  if (a === b) return a;
  if (a === "*") return b;
  if (b === "*") return a;
  const [ea, aa] = a.split(".");
  const [eb, ab] = b.split(".");
  if (ea !== eb) return undefined;
  if (aa === "*") return b;
  if (ab === "*") return a;
  return undefined;
}

function served(flows: readonly FlowModel[]): Map<string, Served> {
  const out = new Map<string, Served>();
  const add = (type: Served["type"], key: string, flow: string) => {
    const id = `${type} ${key}`;
    const entry = out.get(id) ?? { type, key, flows: new Set<string>() };
    entry.flows.add(flow);
    out.set(id, entry);
  };
  const github: { flow: string; path: string; pattern: string }[] = [];
  for (const flow of flows) {
    for (const t of flow.triggers) {
      if (t.type === "http") add("route", routeKey(String(t.fields.method), String(t.fields.path)), flow.id);
      else if (t.type === "queue") add("queue", String(t.fields.queue), flow.id);
      else if (t.type === "github")
        for (const pattern of t.fields.events as string[])
          github.push({ flow: flow.id, path: String(t.fields.path), pattern });
    }
  }
  for (let i = 0; i < github.length; i++) {
    for (let j = i + 1; j < github.length; j++) {
      const a = github[i]!;
      const b = github[j]!;
      if (a.flow === b.flow || a.path !== b.path) continue;
      const events = overlap(a.pattern, b.pattern);
      if (events === undefined) continue;
      add("github", `POST ${a.path} ${events}`, a.flow);
      add("github", `POST ${a.path} ${events}`, b.flow);
    }
  }
  return out;
}

function message(s: Served, flows: string[]): string {
  const names = flows.map((f) => `\`${f}\``).join(", ");
  if (s.type === "route") return `route \`${s.key}\` is served by ${names}`;
  if (s.type === "queue")
    return `queue \`${s.key}\` is consumed by ${names}: each message runs every one of them`;
  const [method, path, events] = s.key.split(" ");
  return `GitHub deliveries of \`${events}\` at \`${method} ${path}\` run ${names}`;
}

/** What more than one flow of `after` serves, where the serving flows differ from `before`'s. */
export function sharedTriggers(before: readonly FlowModel[], after: readonly FlowModel[]): SharedTrigger[] {
  const old = served(before);
  const out: SharedTrigger[] = [];
  for (const [id, s] of served(after)) {
    if (s.flows.size < 2) continue;
    const flows = [...s.flows].sort();
    const was = [...(old.get(id)?.flows ?? [])].sort();
    if (was.join(",") === flows.join(",")) continue;
    out.push({ type: s.type, key: s.key, flows, message: message(s, flows) });
  }
  return out.sort((a, b) => (a.type + a.key < b.type + b.key ? -1 : a.type + a.key > b.type + b.key ? 1 : 0));
}
