import { DEFAULT_WEBHOOK_SECRET, triggerId } from "../ir/triggers.ts";
import type { Json, TriggerDecl } from "../ir/types.ts";
import { parseDuration } from "../units/duration.ts";
import { parseSize } from "../units/size.ts";
import { DEFAULT_GITHUB_PATH, routeKey } from "../validate/rules/deployment.ts";
import { canonicalJson } from "./canonical.ts";
import { RUNTIME_DEFAULTS } from "./defaults.ts";

/**
 * Triggers as plans compare them: each with an identity (`key`: what it serves, so that reordering triggers is
 * not a change), a subject for messages, and its fields with the runtime's defaults applied.
 */
export interface TriggerModel {
  /** Its id, as hosts name it (`triggerId`). */
  id: string;
  /** True when the file gives the id (a default id moves with the trigger's position). */
  explicitId: boolean;
  type: string;
  /** What it serves: `http GET /a/:`, `queue orders`, `cron 0 * * * *`, `github /api/github/webhooks`. */
  key: string;
  /** `route GET /a/:id`, `queue orders`, `cron 0 * * * *`, `github POST /api/github/webhooks`. */
  subject: string;
  fields: Record<string, Json>;
}

const recordOf = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);
const orNull = (v: unknown): Json => (v === undefined ? null : canonicalJson(v));
const ms = (v: unknown, fallback: number | null): Json =>
  typeof v === "string" ? (parseDuration(v) ?? v) : fallback;

/** Cron fields separated by any whitespace are the same schedule. */
const schedule = (v: unknown): string => text(v, "").trim().split(/\s+/).join(" ");

function model(t: Record<string, unknown>): Omit<TriggerModel, "id" | "explicitId"> {
  const type = text(t.type, "");
  switch (type) {
    case "http": {
      const method = text(t.method, "");
      const path = text(t.path, "");
      const size =
        typeof t.maxBodySize === "string" ? (parseSize(t.maxBodySize) ?? t.maxBodySize) : t.maxBodySize;
      return {
        type,
        key: `http ${routeKey(method, path)}`,
        subject: `route ${method} ${path}`,
        fields: {
          method,
          path,
          response: text(t.response, "json"),
          body: text(t.body, "parsed"),
          onDisconnect: text(t.onDisconnect, "cancel"),
          maxBodySize: size === undefined ? RUNTIME_DEFAULTS.maxBodyBytes : canonicalJson(size),
        },
      };
    }
    case "queue": {
      const queue = text(t.queue, "");
      return {
        type,
        key: `queue ${queue}`,
        subject: `queue ${queue}`,
        fields: {
          queue,
          batchSize: orNull(t.batchSize),
          batchTimeout: ms(t.batchTimeout, null),
          maxRetries: orNull(t.maxRetries),
          retryDelay: ms(t.retryDelay, RUNTIME_DEFAULTS.queueRetryDelayMs),
          deadLetterQueue: orNull(t.deadLetterQueue),
        },
      };
    }
    case "cron": {
      const cron = schedule(t.schedule);
      return { type, key: `cron ${cron}`, subject: `cron ${cron}`, fields: { schedule: cron } };
    }
    case "github": {
      const path = text(t.path, DEFAULT_GITHUB_PATH);
      const events = [...new Set((Array.isArray(t.events) ? t.events : []).map(String))].sort();
      return {
        type,
        key: `github ${path} ${events.join(",")}`,
        subject: `github POST ${path}`,
        fields: {
          path,
          events,
          secret: text(t.secret, DEFAULT_WEBHOOK_SECRET),
          ack: text(t.ack, "sync"),
          queue: orNull(t.queue),
        },
      };
    }
    default:
      return {
        type,
        key: `${type} ${JSON.stringify(canonicalJson(t))}`,
        subject: `trigger ${type}`,
        fields: {},
      };
  }
}

/** The triggers of a document, with ids as hosts name them. */
export function triggerModels(doc: Record<string, unknown>): TriggerModel[] {
  const raw = (Array.isArray(doc.triggers) ? doc.triggers : []).map(recordOf);
  const counts = new Map<string, number>();
  for (const t of raw) counts.set(String(t.type), (counts.get(String(t.type)) ?? 0) + 1);
  return raw.map((t, index) => ({
    id: triggerId(t as unknown as TriggerDecl, index, counts.get(String(t.type)) ?? 1),
    explicitId: typeof t.id === "string",
    ...model(t),
  }));
}
