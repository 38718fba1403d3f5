/**
 * Flow IR v1: the TypeScript view of a flow document (see `flows/schema/flow.v1.json` and
 * `impl-docs/flow-ir.md`). Field names are camelCase throughout.
 *
 * Values written as `${{ ... }}` are CEL expressions (see `flows/expr`). A string that is exactly one
 * `${{ expr }}` evaluates to the expression's typed value; a string with text around one or more
 * `${{ }}` is string interpolation. Anything else is a literal.
 */

/** Version of the IR this code reads; a document says it with `flows: 1`. */
export const IR_VERSION = 1;

/** A JSON value as it appears in a flow document. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"7d"`. */
export type Duration = string;

export type Effect = "pure" | "read" | "write" | "external";
export type Determinism = "strict" | "stable" | "best_effort" | "nondeterministic";

export interface FlowDocument {
  /** IR version; must be 1. */
  flows: 1;
  /** `^[a-z][a-z0-9-]{0,62}$`; unique across a deployment. */
  id: string;
  /** Semantic version of this flow. */
  version: string;
  description?: string;
  /**
   * What the flow is instantiated with, by name (`^[a-z][a-zA-Z0-9_]*$`): each `${{ params.<name> }}` in the
   * document is replaced by the value given (or the default) before the flow is validated, planned or packaged
   * (`flows/params`). A flow with parameters is, as written, the flow of its defaults.
   */
  params?: Record<string, FlowParam>;
  /** Bindings (capabilities, vars, secrets) the flow uses, keyed by binding name (`^[A-Z][A-Z0-9_]*$`). */
  bindings?: Record<string, BindingDecl>;
  triggers: TriggerDecl[];
  nodes: NodeDecl[];
  defaults?: FlowDefaults;
  /** Which node's output is the run's result (default: the `respond` node, if there is exactly one). */
  output?: string;
  /** Which of the flow's runs the run store keeps, and for how long (see impl-docs/runs.md). */
  runs?: RunsPolicy;
  /** One data point per run into a Workers Analytics Engine dataset (impl-docs/observability.md). */
  metrics?: MetricsPolicy;
  /**
   * The flow runs as a Cloudflare Workflow instance: every effectful or not strictly deterministic node is a durable
   * step, `sleep` and `wait` may last days, and a run survives crashes and deploys (see impl-docs/durable.md).
   */
  durable?: boolean;
}

/**
 * What the run store (the `FLOWS_RUNS` Durable Object) keeps of a flow's runs. Each field left out takes the
 * deployment's default (`createWorker({ runs })`), else the built-in one: `failed`, `7d`, `1000`.
 */
export interface RunsPolicy {
  /** `all` runs, the `failed` ones only (any status but `ok`), or `none`. */
  record?: "all" | "failed" | "none";
  /** How long a recorded run is kept after it ended: from `1m` to `90d`. */
  retention?: Duration;
  /** At most this many runs of the flow are kept (1 to 100,000); the oldest go first. */
  maxRuns?: number;
}

/** A flow's `metrics:`: where its runs' data points go and which runs are written. */
export interface MetricsPolicy {
  /** The analyticsEngine binding (default: the flow's only one). */
  binding?: string;
  /** The share of runs written, 0 to 1 (default 1). */
  sample?: number;
  /** `always` (default): every run that did not end ok is written; `sampled`: sampled as ok runs are. */
  failures?: "always" | "sampled";
}

export type BindingDecl =
  | { type: "kv"; description?: string }
  | { type: "r2"; bucket: string; description?: string }
  | { type: "queue"; queue: string; description?: string }
  | { type: "durableObject"; className: string; description?: string }
  | { type: "analyticsEngine"; dataset: string; description?: string }
  | { type: "var"; value: Json; description?: string }
  | { type: "secret"; description?: string };

export type BindingType = BindingDecl["type"];

/** A parameter of a flow (see `FlowDocument.params`). */
export interface FlowParam {
  description?: string;
  /** The value when the instantiator gives none (in an instance: the value it was given). */
  default: Json;
  /** The values allowed. */
  enum?: Json[];
  /**
   * The value names a binding of the flow, declared as this: the instance has `bindings[<value>]`, so a host can
   * choose a binding's name (the secret a webhook is verified with) and the flow refer to it as `${{ params.<name> }}`.
   */
  binding?: BindingDecl;
}

export interface FlowDefaults {
  /** Per-node timeout unless a node or its kind says otherwise. */
  timeout?: Duration;
  /** Whole-run deadline; kept below the Workers limits. */
  deadline?: Duration;
  retry?: RetryPolicyDecl;
}

export interface RetryPolicyDecl {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  backoff?: "constant" | "linear" | "exponential";
  /** Base delay. */
  delay?: Duration;
  maxDelay?: Duration;
  jitter?: boolean;
  /**
   * Opt-in: retry a `write` or `external` node that carries no idempotency key, asserting that
   * repeating it is safe. Without it the validator rejects such a retry (FLOW_RETRY_NOT_IDEMPOTENT).
   */
  idempotent?: boolean;
}

export type TriggerDecl = HttpTrigger | QueueTrigger | CronTrigger | GithubTrigger;

interface TriggerBase {
  /** Optional id, unique in the flow; defaults to `<type>` or `<type>-<index>`. */
  id?: string;
}

export interface HttpTrigger extends TriggerBase {
  type: "http";
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Hono-style path: `/echo/:name`. */
  path: string;
  /** `json` (default): the output as JSON; `sse`: run events and chunks; `stream`: a node's stream as the body. */
  response?: "json" | "sse" | "stream";
  /** Request body size limit, e.g. `"1mb"`; default 1mb. */
  maxBodySize?: string;
  /**
   * `parsed` (default): the body is read whole and parsed by content type. `stream`: an
   * `application/octet-stream` body reaches the flow unread, as a byte stream in `trigger.body` (counted against
   * `maxBodySize` as it flows), e.g. to pipe an upload into `r2.put` without buffering it. `raw`: the body is
   * read whole as bytes (a Uint8Array) whatever its content type, e.g. to verify a signature over the exact bytes.
   */
  body?: "parsed" | "stream" | "raw";
  /**
   * What happens to the run when the client leaves an SSE route (`response: sse` only). `cancel` (default): the
   * run is cancelled. `continue`: the run goes on, owned by its run-store object (`run:<id>`), its events are
   * stored, and a client resumes it with `Last-Event-ID` (impl-docs/runs.md#runs-that-outlive-their-connection).
   */
  onDisconnect?: "cancel" | "continue";
}

export interface QueueTrigger extends TriggerBase {
  type: "queue";
  /** Queue name (the consumer side). */
  queue: string;
  batchSize?: number;
  batchTimeout?: Duration;
  maxRetries?: number;
  retryDelay?: Duration;
  deadLetterQueue?: string;
}

export interface CronTrigger extends TriggerBase {
  type: "cron";
  /** Five-field cron expression. */
  schedule: string;
}

export interface GithubTrigger extends TriggerBase {
  type: "github";
  /** `issues`, `issues.opened`, `pull_request.*`, `*`. */
  events: string[];
  /** Webhook path; default `/api/github/webhooks` (Probot's). */
  path?: string;
  /**
   * Binding name of the secret holding the webhook secret; default `GITHUB_WEBHOOK_SECRET`. A secret named
   * `<secret>_PREVIOUS`, when set, is accepted too (rotation).
   */
  secret?: string;
  /**
   * `sync` (default): the routed flows run before the answer (200). `queue`: the delivery is verified,
   * de-duplicated and sent to the queue binding `queue`, answered 202 at once; the queue's consumer runs the
   * routed flows.
   */
  ack?: "sync" | "queue";
  /** With `ack: queue`: the name of a `queue` binding of the flow (its producer; the host consumes it too). */
  queue?: string;
}

export interface NodeDecl {
  /** `^[a-z][a-zA-Z0-9_]{0,63}$` (usable as a CEL identifier), unique in the flow. */
  id: string;
  /** A registered node kind, e.g. `transform`, `kv.get`. */
  kind: string;
  description?: string;
  /** Input port values: literals or `${{ }}` expressions; references to `nodes.<id>.<port>` create edges. */
  inputs?: Record<string, Json>;
  /** Kind-specific configuration, checked against the kind's config schema. Static (no expressions) unless the kind says so. */
  config?: Record<string, Json>;
  /** Order-only dependencies: run after these nodes end (whatever their output). */
  after?: string[];
  /** Run only when this expression is true; otherwise the node is skipped (and so are its dependants). */
  when?: string;
  retry?: RetryPolicyDecl;
  timeout?: Duration;
  /** Expression giving the idempotency key of an effectful node. */
  idempotencyKey?: string;
}
