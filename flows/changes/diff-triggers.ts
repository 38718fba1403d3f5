import type { Json } from "../ir/types.ts";
import { sameJson } from "./canonical.ts";
import { bytes, change, code, duration, list } from "./format.ts";
import type { TriggerModel } from "./trigger-model.ts";
import type { Change } from "./types.ts";

/**
 * Trigger changes. Triggers are paired by what they serve (route, queue, schedule, webhook path and events),
 * then by type and id (a route whose path changed, a schedule that changed), so that reordering them is no
 * change. What callers or senders can no longer reach is breaking.
 */

function pair(
  before: readonly TriggerModel[],
  after: readonly TriggerModel[],
): { pairs: [TriggerModel, TriggerModel][]; removed: TriggerModel[]; added: TriggerModel[] } {
  const left = [...before];
  const right = [...after];
  const pairs: [TriggerModel, TriggerModel][] = [];
  const take = (match: (a: TriggerModel, b: TriggerModel) => boolean) => {
    for (let i = 0; i < left.length; i++) {
      const j = right.findIndex((b) => match(left[i]!, b));
      if (j === -1) continue;
      pairs.push([left[i]!, right[j]!]);
      left.splice(i--, 1);
      right.splice(j, 1);
    }
  };
  take((a, b) => a.key === b.key);
  take((a, b) => a.type === b.type && a.id === b.id);
  return { pairs, removed: left, added: right };
}

const f = (t: TriggerModel, name: string): Json => t.fields[name] ?? null;

function added(t: TriggerModel): Change {
  const subject = t.subject;
  switch (t.type) {
    case "http":
      return change(
        "triggers",
        "added",
        subject,
        `new route \`${f(t, "method")} ${f(t, "path")}\` (response ${code(f(t, "response"))})`,
        {
          after: t.fields,
        },
      );
    case "queue":
      return change("triggers", "added", subject, `now consumes queue ${code(f(t, "queue"))}`, {
        after: t.fields,
      });
    case "cron":
      return change("triggers", "added", subject, `new schedule ${code(f(t, "schedule"))} (UTC)`, {
        after: t.fields,
      });
    case "github":
      return change(
        "triggers",
        "added",
        subject,
        `now runs on GitHub events ${list(f(t, "events") as string[])} at \`POST ${f(t, "path")}\``,
        { after: t.fields },
      );
    default:
      return change("triggers", "added", subject, `new ${code(t.type)} trigger`, { after: t.fields });
  }
}

function removed(t: TriggerModel): Change {
  const subject = t.subject;
  const x = { before: t.fields };
  switch (t.type) {
    case "http":
      return change("triggers", "removed", subject, `route \`${f(t, "method")} ${f(t, "path")}\` removed`, {
        ...x,
        breaking: `\`${f(t, "method")} ${f(t, "path")}\` is no longer served: its callers get 404`,
      });
    case "queue":
      return change("triggers", "removed", subject, `no longer consumes queue ${code(f(t, "queue"))}`, {
        ...x,
        breaking: `messages sent to ${code(f(t, "queue"))} no longer run this flow`,
      });
    case "cron":
      return change("triggers", "removed", subject, `schedule ${code(f(t, "schedule"))} removed`, {
        ...x,
        breaking: `the runs on ${code(f(t, "schedule"))} stop`,
      });
    case "github":
      return change(
        "triggers",
        "removed",
        subject,
        `no longer runs on GitHub events ${list(f(t, "events") as string[])}`,
        {
          ...x,
          breaking: `deliveries of ${list(f(t, "events") as string[])} at \`POST ${f(t, "path")}\` no longer run this flow`,
        },
      );
    default:
      return change("triggers", "removed", subject, `${code(t.type)} trigger removed`, {
        ...x,
        breaking: "what started this trigger no longer runs the flow",
      });
  }
}

/** `queue \`orders\``, `route \`GET /a\``: a trigger in messages. */
function what(t: TriggerModel): string {
  const [type, ...rest] = t.subject.split(" ");
  return `${type} \`${rest.join(" ")}\``;
}

/** A field of a paired trigger that changed: its message and whether it breaks. */
function fieldChange(b: TriggerModel, a: TriggerModel, field: string): Change {
  const before = f(b, field);
  const after = f(a, field);
  const subject = a.subject;
  const x = { field, before, after };
  const route = (t: TriggerModel) => `\`${f(t, "method")} ${f(t, "path")}\``;
  switch (`${a.type}.${field}`) {
    case "http.response":
      return change(
        "responses",
        "changed",
        subject,
        `${route(a)} now answers ${code(after)} (was ${code(before)})`,
        {
          ...x,
          breaking: `callers that read ${code(before)} from ${route(a)} get ${code(after)}`,
        },
      );
    case "http.maxBodySize": {
      const smaller = typeof before === "number" && typeof after === "number" && after < before;
      return change(
        "triggers",
        "changed",
        subject,
        `${route(a)} accepts bodies up to ${bytes(after)} (was ${bytes(before)})`,
        {
          ...x,
          breaking: smaller
            ? `bodies over ${bytes(after)} and up to ${bytes(before)} are now refused with 413`
            : null,
        },
      );
    }
    case "http.onDisconnect":
      return change(
        "responses",
        "changed",
        subject,
        after === "continue"
          ? `runs of ${route(a)} now go on when the client leaves, and resume with Last-Event-ID (was ${code(before)})`
          : `runs of ${route(a)} are now cancelled when the client leaves (was ${code(before)})`,
        {
          ...x,
          breaking:
            after === "continue"
              ? null
              : `clients that reconnect with Last-Event-ID to ${route(a)} start a new run instead of resuming theirs`,
        },
      );
    case "queue.queue":
      return change(
        "triggers",
        "changed",
        subject,
        `now consumes queue ${code(after)} instead of ${code(before)}`,
        {
          ...x,
          breaking: `messages sent to ${code(before)} no longer run this flow`,
        },
      );
    case "cron.schedule":
      return change("triggers", "changed", subject, `schedule ${code(before)} → ${code(after)} (UTC)`, x);
    case "github.path":
      return change("triggers", "changed", subject, `webhook path \`POST ${before}\` → \`POST ${after}\``, {
        ...x,
        breaking: `GitHub still delivers to \`POST ${before}\` until the App's webhook URL changes`,
      });
    case "github.secret":
      return change(
        "triggers",
        "changed",
        subject,
        `deliveries are verified with secret ${code(after)} (was ${code(before)})`,
        {
          ...x,
          breaking: `deliveries signed with the value of ${code(before)} are refused with 401 unless ${code(after)} holds the same value`,
        },
      );
    case "github.ack":
      return change(
        "responses",
        "changed",
        subject,
        `GitHub deliveries are answered with ack ${code(after)} (was ${code(before)})`,
        x,
      );
    default: {
      const show = (v: Json) =>
        field.endsWith("Delay") || field.endsWith("Timeout") ? duration(v) : code(v);
      return change(
        "triggers",
        "changed",
        subject,
        `${what(a)}: ${field} ${show(before)} → ${show(after)}`,
        x,
      );
    }
  }
}

function githubEvents(b: TriggerModel, a: TriggerModel): Change[] {
  const before = f(b, "events") as string[];
  const after = f(a, "events") as string[];
  const gone = before.filter((e) => !after.includes(e));
  const fresh = after.filter((e) => !before.includes(e));
  const out: Change[] = [];
  const x = { field: "events", before, after };
  if (fresh.length > 0)
    out.push(change("triggers", "changed", a.subject, `now also runs on GitHub events ${list(fresh)}`, x));
  if (gone.length > 0)
    out.push(
      change("triggers", "changed", a.subject, `no longer runs on GitHub events ${list(gone)}`, {
        ...x,
        breaking: `deliveries of ${list(gone)} no longer run this flow`,
      }),
    );
  return out;
}

/** A route whose method or path changed: the same route when only parameter names differ. */
function routeChange(b: TriggerModel, a: TriggerModel): Change {
  const before = `${f(b, "method")} ${f(b, "path")}`;
  const after = `${f(a, "method")} ${f(a, "path")}`;
  const x = { field: "route", before, after };
  if (b.key === a.key)
    return change(
      "triggers",
      "changed",
      a.subject,
      `route parameters renamed: \`${before}\` → \`${after}\``,
      x,
    );
  return change("triggers", "changed", a.subject, `route \`${before}\` is now \`${after}\``, {
    ...x,
    breaking: `\`${before}\` is no longer served: its callers get 404`,
  });
}

/** The changes between two lists of triggers of one flow. */
export function diffTriggers(before: readonly TriggerModel[], after: readonly TriggerModel[]): Change[] {
  const { pairs, removed: gone, added: fresh } = pair(before, after);
  const out: Change[] = [];
  for (const [b, a] of pairs) {
    if (a.type === "http" && (f(b, "method") !== f(a, "method") || f(b, "path") !== f(a, "path")))
      out.push(routeChange(b, a));
    for (const field of Object.keys(a.fields)) {
      if (sameJson(b.fields[field], a.fields[field])) continue;
      if (field === "events") out.push(...githubEvents(b, a));
      else if (!(a.type === "http" && (field === "method" || field === "path")))
        out.push(fieldChange(b, a, field));
    }
    if ((b.explicitId || a.explicitId) && b.id !== a.id)
      out.push(
        change("triggers", "changed", a.subject, `${what(a)}: trigger id ${code(b.id)} → ${code(a.id)}`, {
          field: "id",
          before: b.id,
          after: a.id,
        }),
      );
  }
  for (const t of gone) out.push(removed(t));
  for (const t of fresh) out.push(added(t));
  return out;
}

export { added as triggerAdded, removed as triggerRemoved };
