import { FlowError, type NodeKind } from "../../../kernel/index.ts";
import {
  GITHUB_WEBHOOK_KIND_SPECS,
  KIND_GITHUB_WEBHOOK_MATCH,
  KIND_GITHUB_WEBHOOK_PARSE,
} from "./declaration.ts";
import { bodyText, headerOf } from "./verify.ts";

/** A parsed delivery (`github.webhook.parse`'s `out`). */
export interface WebhookEvent {
  /** `issues.opened`, or the event alone when the payload has no `action` (`push`). */
  name: string;
  /** `X-GitHub-Event`. */
  event: string;
  /** The payload's `action`, or null. */
  action: string | null;
  /** `X-GitHub-Delivery`: unique per delivery, kept on a redelivery. */
  deliveryId: string;
  /** `X-GitHub-Hook-ID`, or null. */
  hookId: string | null;
  /** `payload.installation.id` for GitHub App deliveries, else null. */
  installationId: number | null;
  payload: Record<string, unknown>;
}

/** What a flow routed by its GitHub trigger sees as `trigger`. */
export interface GithubTriggerEvent extends WebhookEvent {
  type: "github";
  /** The trigger's id in the routed flow. */
  id: string;
}

/** A GitHub trigger of a deployed flow, as the webhook flow's `ROUTES` variable lists it. */
export interface WebhookRoute {
  flow: string;
  trigger: string;
  events: readonly string[];
  /** The flow has no effect (its plan's effect is `pure`): it may run before the delivery is recorded. */
  pure?: boolean;
  /** The flow is durable: a delivery starts its Workflow instance, keyed by the delivery id, instead of running it. */
  durable?: boolean;
}

/** A flow to run for a delivery. */
export interface WebhookTarget {
  flow: string;
  trigger: string;
  durable?: boolean;
}

/**
 * Whether a trigger's event pattern takes a delivery: `*`, `issues` and `issues.*` (any action),
 * `issues.opened` (that action only).
 * @example eventMatches("pull_request.*", "pull_request", "closed") // true
 */
export function eventMatches(pattern: string, event: string, action: string | null): boolean {
  if (pattern === "*") return true;
  const dot = pattern.indexOf(".");
  if (dot === -1) return pattern === event;
  if (pattern.slice(0, dot) !== event) return false;
  const wanted = pattern.slice(dot + 1);
  return wanted === "*" || wanted === action;
}

/** The routes that take a delivery, in order, each flow at most once. */
export function matchRoutes(
  routes: readonly WebhookRoute[],
  event: string,
  action: string | null,
): WebhookTarget[] {
  const out: WebhookTarget[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.flow)) continue;
    if (route.events.some((pattern) => eventMatches(pattern, event, action))) {
      seen.add(route.flow);
      out.push({ flow: route.flow, trigger: route.trigger, ...(route.durable ? { durable: true } : {}) });
    }
  }
  return out;
}

/**
 * Parses a verified delivery into a WebhookEvent. A body that is not a JSON object is 400 BODY_INVALID_JSON.
 * @example parseWebhook('{"action":"opened"}', { "x-github-event": "issues", "x-github-delivery": "d1" }).name // "issues.opened"
 */
export function parseWebhook(text: string, headers: unknown): WebhookEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new FlowError(
      "BODY_INVALID_JSON",
      `webhook payload is not valid JSON: ${(error as Error).message}`,
      {
        status: 400,
        expose: true,
      },
    );
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new FlowError("BODY_INVALID_JSON", "webhook payload must be a JSON object", {
      status: 400,
      expose: true,
    });
  }
  const record = payload as Record<string, unknown>;
  const event = headerOf(headers, "x-github-event") ?? "";
  const action = typeof record.action === "string" ? record.action : null;
  const installation = record.installation as { id?: unknown } | undefined;
  return {
    name: action ? `${event}.${action}` : event,
    event,
    action,
    deliveryId: headerOf(headers, "x-github-delivery") ?? "",
    hookId: headerOf(headers, "x-github-hook-id") ?? null,
    installationId: typeof installation?.id === "number" ? installation.id : null,
    payload: record,
  };
}

/** `github.webhook.parse`. */
export const githubWebhookParseKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_PARSE]!,
  run: (ctx) => {
    const text = bodyText(ctx.inputs.body);
    if (text === undefined) {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`body\` must be text or bytes`,
        {
          status: 422,
          expose: true,
        },
      );
    }
    return { out: parseWebhook(text, ctx.inputs.headers) };
  },
};

/** True for a `{ flow, trigger, events }` route. */
export const isWebhookRoute = (value: unknown): value is WebhookRoute => {
  const r = value as Partial<WebhookRoute> | null;
  return (
    typeof r?.flow === "string" &&
    typeof r.trigger === "string" &&
    Array.isArray(r.events) &&
    r.events.every((e) => typeof e === "string")
  );
};

/** `github.webhook.match`. */
export const githubWebhookMatchKind: NodeKind = {
  spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_MATCH]!,
  run: (ctx) => {
    const event = ctx.inputs.event as Partial<WebhookEvent> | null;
    const routes = ctx.inputs.routes;
    if (typeof event?.event !== "string") {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`event\` must be a parsed delivery`,
        {
          status: 422,
          expose: true,
        },
      );
    }
    if (!Array.isArray(routes) || !routes.every(isWebhookRoute)) {
      throw new FlowError(
        "NODE_INPUT_INVALID",
        `node \`${ctx.nodeId}\`: input \`routes\` must be a list of { flow, trigger, events }`,
        { status: 422, expose: true },
      );
    }
    const targets = matchRoutes(routes, event.event, event.action ?? null);
    const pureRoute = (t: WebhookTarget) => routes.some((r) => r.flow === t.flow && r.pure === true);
    return { out: targets, pure: targets.every(pureRoute) };
  },
};
