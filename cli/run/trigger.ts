import type { FlowDocument, TriggerDecl } from "../../flows/index.ts";
import { type NamedTrigger, namedTriggers } from "../../flows/ir/triggers.ts";
import { CliError } from "./errors.ts";

export { type NamedTrigger, namedTriggers };

/**
 * The trigger a run starts from: the one named by `--trigger`, else the flow's only trigger. `undefined` for a
 * flow without triggers (a subflow), which is invoked directly. Throws `CLI_TRIGGER_UNKNOWN` or
 * `CLI_TRIGGER_REQUIRED` (both list the ids).
 */
export function selectTrigger(doc: FlowDocument, id: string | undefined): NamedTrigger | undefined {
  const triggers = namedTriggers(doc);
  const known = triggers.map((t) => t.id).join(", ") || "none";
  if (id !== undefined) {
    const found = triggers.find((t) => t.id === id);
    if (!found) {
      throw new CliError(
        "CLI_TRIGGER_UNKNOWN",
        `flow \`${doc.id}\` has no trigger \`${id}\` (known: ${known})`,
        {
          trigger: id,
          known: triggers.map((t) => t.id),
        },
      );
    }
    return found;
  }
  if (triggers.length > 1) {
    throw new CliError(
      "CLI_TRIGGER_REQUIRED",
      `flow \`${doc.id}\` has ${triggers.length} triggers: choose one with --trigger <id> (known: ${known})`,
      { known: triggers.map((t) => t.id) },
    );
  }
  return triggers[0];
}

/**
 * The flow a run starts: the one named by `--flow`, else the only one given, else the only one that can start
 * from `--trigger` (has a trigger of that id) or, without `--trigger`, the only one with triggers (the others are
 * subflows it calls). Throws `CLI_FLOW_UNKNOWN` or `CLI_FLOW_REQUIRED` (both list the ids).
 */
export function selectFlow(
  documents: readonly FlowDocument[],
  flowId: string | undefined,
  triggerId: string | undefined,
): FlowDocument {
  const known = documents.map((d) => d.id);
  if (flowId !== undefined) {
    const found = documents.find((d) => d.id === flowId);
    if (!found) {
      throw new CliError(
        "CLI_FLOW_UNKNOWN",
        `no flow \`${flowId}\` among the files given (flows: ${known.join(", ")})`,
        { flow: flowId, known },
      );
    }
    return found;
  }
  if (documents.length === 1) return documents[0]!;
  const candidates = documents.filter((d) =>
    triggerId === undefined ? d.triggers.length > 0 : namedTriggers(d).some((t) => t.id === triggerId),
  );
  if (candidates.length === 1) return candidates[0]!;
  const which = triggerId === undefined ? "with triggers" : `with a trigger \`${triggerId}\``;
  const ids = candidates.map((d) => d.id);
  throw new CliError(
    "CLI_FLOW_REQUIRED",
    `${documents.length} flows were given and ${candidates.length === 0 ? "none" : `${candidates.length} (${ids.join(", ")})`} ${candidates.length === 1 ? "is" : "are"} ${which}: choose the flow to run with --flow <id> (flows: ${known.join(", ")})`,
    { candidates: ids, known },
  );
}

type Input = Record<string, unknown>;

const record = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
};

const lowerKeys = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

/** The body's type as the HTTP host would report it for a parsed body. */
function bodyType(body: unknown): string {
  if (body === null || body === undefined) return "empty";
  return typeof body === "string" ? "text" : "json";
}

/** `/orders/:id` with `{ id: "7" }` → `/orders/7`. */
const fillPath = (path: string, params: Record<string, string>): string =>
  path.replace(/:([A-Za-z0-9_]+)/g, (whole, name: string) =>
    params[name] === undefined ? whole : encodeURIComponent(params[name]),
  );

function httpEvent(id: string, trigger: Extract<TriggerDecl, { type: "http" }>, input: Input): unknown {
  const params = record(input.params);
  const query = record(input.query);
  const queryAll: Record<string, string[]> = {};
  if (input.queryAll && typeof input.queryAll === "object") {
    for (const [k, v] of Object.entries(input.queryAll))
      queryAll[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  } else for (const [k, v] of Object.entries(query)) queryAll[k] = [v];
  const headers = lowerKeys(record(input.headers));
  const body = input.body ?? null;
  if (body !== null && typeof body === "object" && !headers["content-type"])
    headers["content-type"] = "application/json";
  return {
    type: "http",
    id,
    method: typeof input.method === "string" ? input.method : trigger.method,
    path: typeof input.path === "string" ? input.path : fillPath(trigger.path, params),
    params,
    query,
    queryAll,
    headers,
    body,
    bodyType: typeof input.bodyType === "string" ? input.bodyType : bodyType(body),
  };
}

function queueEvent(id: string, trigger: Extract<TriggerDecl, { type: "queue" }>, input: Input, now: Date) {
  const given = (input.message && typeof input.message === "object" ? input.message : input) as Input;
  return {
    type: "queue",
    id,
    queue: trigger.queue,
    message: {
      id: typeof given.id === "string" ? given.id : "local-message-1",
      body: given.body ?? null,
      attempts: typeof given.attempts === "number" ? given.attempts : 1,
      timestamp: typeof given.timestamp === "string" ? given.timestamp : now.toISOString(),
    },
  };
}

/** As `capabilities/github/webhook` gives a routed flow: `{ type, id, name, event, action, deliveryId, hookId, installationId, payload }`. */
function githubEvent(id: string, input: Input): unknown {
  const payload = (input.payload && typeof input.payload === "object" ? input.payload : {}) as Input;
  const installation = payload.installation as { id?: unknown } | undefined;
  const event = typeof input.event === "string" ? input.event : "ping";
  const action =
    typeof input.action === "string"
      ? input.action
      : typeof payload.action === "string"
        ? payload.action
        : null;
  return {
    type: "github",
    id,
    name: action ? `${event}.${action}` : event,
    event,
    action,
    deliveryId: typeof input.deliveryId === "string" ? input.deliveryId : "local-delivery-1",
    hookId: typeof input.hookId === "string" ? input.hookId : null,
    installationId:
      typeof input.installationId === "number"
        ? input.installationId
        : typeof installation?.id === "number"
          ? installation.id
          : null,
    payload,
  };
}

/**
 * The `trigger` a flow sees, shaped as the Workers host shapes it for that trigger type, filled from the
 * user's `--input` (a partial event: HTTP `body`, `headers`, `params`, `query`; queue `message` or its `body`;
 * cron `scheduledTime`; GitHub `event`, `action`, `payload`). A flow without triggers (a subflow) gets the
 * input as it is (`null` without `--input`): exactly the value a `subflow` node passes it as `trigger`.
 */
export function triggerEvent(selected: NamedTrigger | undefined, input: unknown, now = new Date()): unknown {
  if (!selected) return input === undefined ? null : input;
  const given: Input = input && typeof input === "object" && !Array.isArray(input) ? (input as Input) : {};
  const { id, trigger } = selected;
  switch (trigger.type) {
    case "http":
      return httpEvent(id, trigger, given);
    case "queue":
      return queueEvent(id, trigger, given, now);
    case "cron":
      return {
        type: "cron",
        id,
        cron: trigger.schedule,
        scheduledTime: typeof given.scheduledTime === "string" ? given.scheduledTime : now.toISOString(),
      };
    case "github":
      return githubEvent(id, given);
  }
}
