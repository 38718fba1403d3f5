import { GITHUB_WEBHOOK_KINDS, type WebhookRoute } from "../../capabilities/github/webhook/index.ts";
import { QUEUES_KINDS } from "../../capabilities/queues/kinds.ts";
import {
  GITHUB_WEBHOOK_FLOW_FILE,
  GITHUB_WEBHOOK_QUEUE_FLOW_FILE,
  hostFlowDocument,
} from "../../flows/builtin/index.ts";
import { DEFAULT_WEBHOOK_SECRET, triggerId } from "../../flows/ir/triggers.ts";
import type { BindingDecl, FlowDocument, GithubTrigger, Json } from "../../flows/ir/types.ts";
import { instantiateFlow } from "../../flows/params/index.ts";
import { DEFAULT_GITHUB_PATH } from "../../flows/validate/rules/deployment.ts";
import { BUILTIN_KINDS, flowEffect, type KindRegistry } from "../../kernel/index.ts";
import { hostError } from "./codes.ts";
import type { GithubTriggers } from "./flow-set.ts";

/**
 * `type: github` triggers, served as ordinary routes: for every webhook path of the deployed flows, the host adds
 * an instance of the built-in webhook flow (`flows/builtin/github-webhook.yaml`) with its parameters: that path,
 * the path's secret, the acknowledgement mode, and the GitHub triggers on it as its routes. With `ack: queue`, it
 * also adds the consumer flow (`github-webhook-queue.yaml`) on the trigger's queue, whose dead-letter queue is
 * `<queue>-dlq`. No other code path handles webhooks.
 */

/** A webhook path and what the GitHub triggers on it ask for. */
export interface GithubEndpoint {
  path: string;
  secret: string;
  ack: "sync" | "queue";
  /** With `ack: queue`: the queue binding's name and declaration (from the flow that names it). */
  queue?: { binding: string; decl: Extract<BindingDecl, { type: "queue" }> };
  routes: WebhookRoute[];
}

function queueOf(doc: FlowDocument, trigger: GithubTrigger): GithubEndpoint["queue"] {
  if ((trigger.ack ?? "sync") !== "queue") return undefined;
  const name = trigger.queue ?? "";
  const decl = doc.bindings?.[name];
  if (decl?.type !== "queue") {
    throw hostError(
      "FLOW_CONFLICT",
      `flow \`${doc.id}\`: a GitHub trigger with ack: queue needs \`queue\` to name a queue binding of the flow (got ${JSON.stringify(trigger.queue ?? null)})`,
    );
  }
  return { binding: name, decl };
}

/**
 * The webhook paths of a deployment, with their routes in flow order. Two GitHub triggers on one path must agree
 * on the secret and the acknowledgement mode (FLOW_CONFLICT otherwise). Given the kinds, a route whose flow has no
 * effect says `pure: true` (the webhook flow then runs it before recording the delivery, in one ledger call).
 * @example githubEndpoints(docs) // [{ path: "/api/github/webhooks", secret: "GITHUB_WEBHOOK_SECRET", ack: "sync", routes }]
 */
export function githubEndpoints(
  documents: readonly FlowDocument[],
  registry?: KindRegistry,
): GithubEndpoint[] {
  const byPath = new Map<string, GithubEndpoint & { owner: string }>();
  for (const doc of documents) {
    const count = doc.triggers.filter((t) => t.type === "github").length;
    const pure = registry !== undefined && flowEffect(doc, registry) === "pure";
    doc.triggers.forEach((trigger, index) => {
      if (trigger.type !== "github") return;
      const path = trigger.path ?? DEFAULT_GITHUB_PATH;
      const secret = trigger.secret ?? DEFAULT_WEBHOOK_SECRET;
      const ack = trigger.ack ?? "sync";
      const queue = queueOf(doc, trigger);
      const route: WebhookRoute = {
        flow: doc.id,
        trigger: triggerId(trigger, index, count),
        events: [...trigger.events],
        ...(pure ? { pure } : {}),
        ...(doc.durable === true ? { durable: true } : {}),
      };
      const known = byPath.get(path);
      if (!known) {
        byPath.set(path, { path, secret, ack, ...(queue ? { queue } : {}), routes: [route], owner: doc.id });
        return;
      }
      const same =
        known.secret === secret && known.ack === ack && known.queue?.decl.queue === queue?.decl.queue;
      if (!same) {
        throw hostError(
          "FLOW_CONFLICT",
          `GitHub triggers on ${path} disagree: flows \`${known.owner}\` and \`${doc.id}\` must use the same secret, ack and queue`,
        );
      }
      known.routes.push(route);
    });
  }
  return [...byPath.values()].map(({ owner: _, ...endpoint }) => endpoint);
}

/** A built-in flow, instantiated with these parameters and named `id`. */
function builtin(file: string, id: string, params: Record<string, Json>): FlowDocument {
  const { document, issues } = instantiateFlow(hostFlowDocument(file), params);
  if (issues.length > 0) {
    throw new TypeError(
      `built-in flow ${file} refused its parameters: ${issues.map((i) => i.message).join("; ")}`,
    );
  }
  return { ...document, id };
}

/**
 * The built-in webhook flow for one endpoint, with id `id`; plus its queue consumer with `ack: queue`. The host
 * gives the flows' parameters (`params` in the YAML files) and knows nothing of their nodes.
 */
function instantiate(endpoint: GithubEndpoint, id: string): FlowDocument[] {
  const queue = endpoint.queue;
  const webhook = builtin(GITHUB_WEBHOOK_FLOW_FILE, id, {
    path: endpoint.path,
    secret: endpoint.secret,
    ack: endpoint.ack,
    routes: endpoint.routes as unknown as Json,
    ...(queue ? { queue: queue.binding, queueName: queue.decl.queue } : {}),
  });
  if (!queue) return [webhook];
  const consumer = { queue: queue.binding, queueName: queue.decl.queue };
  return [webhook, builtin(GITHUB_WEBHOOK_QUEUE_FLOW_FILE, `${id}-queue`, consumer)];
}

/**
 * The built-in flow documents that serve the deployment's GitHub triggers: `github-webhook` (then
 * `github-webhook-2`…) per path, and `github-webhook-queue` (…) per queue with `ack: queue` (one consumer per
 * queue: the messages carry their targets). `registry` (the kinds the routed flows are planned with) tells which
 * routes are pure; without it none is said to be.
 */
export function githubWebhookDocuments(
  documents: readonly FlowDocument[],
  registry?: KindRegistry,
): FlowDocument[] {
  const queues = new Set<string>();
  return githubEndpoints(documents, registry).flatMap((endpoint, i) => {
    const docs = instantiate(endpoint, i === 0 ? "github-webhook" : `github-webhook-${i + 1}`);
    const queue = endpoint.queue?.decl.queue;
    if (queue === undefined) return docs;
    if (queues.has(queue)) return docs.slice(0, 1);
    queues.add(queue);
    return docs;
  });
}

/**
 * The registry the webhook flows are planned with: the deployment's own, plus the built-in kinds, `queues.*` and
 * `github.webhook.*` when it lacks them (so `createWorker(flows)` serves GitHub triggers with no extra wiring).
 */
export function webhookRegistry(registry: KindRegistry | undefined): KindRegistry {
  return Object.freeze({ ...BUILTIN_KINDS, ...QUEUES_KINDS, ...GITHUB_WEBHOOK_KINDS, ...registry });
}

/** GitHub triggers served by the built-in webhook flows: what `createWorker` takes as `github`. */
export const GITHUB_TRIGGERS: GithubTriggers = Object.freeze({
  documents: githubWebhookDocuments,
  registry: webhookRegistry,
});
