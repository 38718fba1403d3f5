import { namedTriggers } from "../../flows/ir/triggers.ts";
import type { CronTrigger, FlowDocument, HttpTrigger, QueueTrigger } from "../../flows/ir/types.ts";
import {
  BUILTIN_KINDS,
  deferPlan,
  type ExecutionPlan,
  type KindRegistry,
  lookupKind,
} from "../../kernel/index.ts";
import { DEFAULT_MAX_BODY_BYTES, parseByteSize } from "./body.ts";
import { hostError } from "./codes.ts";

export interface HttpRoute {
  flowId: string;
  triggerId: string;
  method: HttpTrigger["method"];
  path: string;
  response: NonNullable<HttpTrigger["response"]>;
  maxBodyBytes: number;
  /** `stream`: an octet-stream body is passed on unread (see `streamRequestBody`); `raw`: read whole as bytes. */
  body: NonNullable<HttpTrigger["body"]>;
  /** `continue`: an SSE run that outlives its client, owned by its run-store object (`runs/continuing.ts`). */
  onDisconnect: NonNullable<HttpTrigger["onDisconnect"]>;
}

export interface QueueRoute {
  flowId: string;
  triggerId: string;
  trigger: QueueTrigger;
}

export interface CronRoute {
  flowId: string;
  triggerId: string;
  schedule: string;
}

/**
 * The flows a worker serves: a plan per flow and its triggers by type. Each plan is compiled once, when a run of its
 * flow first needs it (`deferPlan`): a cold isolate answering one route compiles that route's flows, not all of them.
 */
export interface FlowSet {
  readonly documents: ReadonlyMap<string, FlowDocument>;
  readonly plans: ReadonlyMap<string, ExecutionPlan>;
  readonly http: readonly HttpRoute[];
  readonly queues: readonly QueueRoute[];
  readonly crons: readonly CronRoute[];
}

/**
 * How GitHub triggers are served: the built-in webhook flows for a deployment's GitHub triggers, and the
 * registry they are planned with (`GITHUB_TRIGGERS` of `./github.ts`). Injected, so that a Worker whose flows
 * have no GitHub trigger does not bundle the webhook machinery (`hosts/workers/index.ts` passes it by default).
 */
export interface GithubTriggers {
  /** The webhook flows for the deployment's flows, whose kinds are `registry` (the built-ins when undefined). */
  documents(documents: readonly FlowDocument[], registry: KindRegistry): FlowDocument[];
  registry(registry: KindRegistry | undefined): KindRegistry;
}

/** Normalises a route for conflict checks: parameter names do not matter (`/a/:x` ≡ `/a/:y`). */
const routeShape = (method: string, path: string): string => `${method} ${path.replace(/:[^/]+/g, ":")}`;

/**
 * Turns validated flow documents into (deferred) plans and trigger tables. Throws a FlowError for a conflict the
 * validator would have reported (two flows with one id or one route), and UNKNOWN_KIND for a node kind the registry
 * lacks, so a worker never starts ambiguous or short of a capability; a flow whose expressions do not compile
 * (PLAN_INVALID: the validator reports it first, with positions) fails its runs.
 */
export function createFlowSet(
  documents: readonly FlowDocument[],
  registry?: KindRegistry,
  github?: GithubTriggers,
): FlowSet {
  const docs = new Map<string, FlowDocument>();
  const plans = new Map<string, ExecutionPlan>();
  const http: HttpRoute[] = [];
  const queues: QueueRoute[] = [];
  const crons: CronRoute[] = [];
  const routes = new Map<string, string>();
  // GitHub triggers are served by instances of the built-in webhook flow: ordinary HTTP (and queue) routes.
  const hooked = documents.find((doc) => doc.triggers.some((t) => t.type === "github"));
  if (hooked && !github) {
    throw new TypeError(
      `flow \`${hooked.id}\` has a GitHub trigger: pass \`github: GITHUB_TRIGGERS\` (hosts/workers/github.ts) to createWorker`,
    );
  }
  const webhooks = github?.documents(documents, registry ?? BUILTIN_KINDS) ?? [];
  const builtin = new Set(webhooks);
  const hooksRegistry = webhooks.length > 0 ? github?.registry(registry) : undefined;
  for (const doc of [...documents, ...webhooks]) {
    if (docs.has(doc.id)) throw hostError("FLOW_CONFLICT", `two flows have the id \`${doc.id}\``);
    docs.set(doc.id, doc);
    const kinds = builtin.has(doc) ? hooksRegistry : registry;
    // The cheap check stays eager: a kind the Worker was not given (a capability left out of the registry) fails
    // the Worker at start-up, not its first run.
    for (const node of doc.nodes) lookupKind(kinds ?? BUILTIN_KINDS, node.kind);
    plans.set(doc.id, deferPlan(doc, kinds ? { registry: kinds } : {}));
    for (const { id, trigger } of namedTriggers(doc)) {
      if (trigger.type === "http") {
        const shape = routeShape(trigger.method, trigger.path);
        const other = routes.get(shape);
        if (other)
          throw hostError(
            "FLOW_CONFLICT",
            `${trigger.method} ${trigger.path} is served by both ${other} and ${doc.id}`,
          );
        routes.set(shape, doc.id);
        http.push({
          flowId: doc.id,
          triggerId: id,
          method: trigger.method,
          path: trigger.path,
          response: trigger.response ?? "json",
          maxBodyBytes: trigger.maxBodySize ? parseByteSize(trigger.maxBodySize) : DEFAULT_MAX_BODY_BYTES,
          body: trigger.body ?? "parsed",
          onDisconnect: trigger.onDisconnect ?? "cancel",
        });
      } else if (trigger.type === "queue") queues.push({ flowId: doc.id, triggerId: id, trigger });
      else if (trigger.type === "cron")
        crons.push({ flowId: doc.id, triggerId: id, schedule: (trigger as CronTrigger).schedule });
    }
  }
  return { documents: docs, plans, http, queues, crons };
}
