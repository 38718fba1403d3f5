import type { FlowDocument } from "../../flows/ir/types.ts";
import type { KindRegistry, RunOptions, RunResult } from "../../kernel/index.ts";
import { celLoaded, loadCel, runFlow } from "../../kernel/index.ts";
import { type Bindings, baseRunOptions, createFlowsApp, type HostOptions } from "./app.ts";
import { createFlowSet, type FlowSet, type GithubTriggers } from "./flow-set.ts";
import { RunMetrics } from "./metrics/write.ts";
import { handleQueueBatch } from "./queue.ts";
import { consoleSink } from "./run-log.ts";
import { type RecordingContext, RunsRecorder } from "./runs/recording.ts";
import { queueJournal, type RuntimeBindingOption, runtimeRunOptions } from "./runtime.ts";
import { handleScheduled } from "./scheduled.ts";

export interface WorkerOptions extends HostOptions, RuntimeBindingOption {
  /** Node kinds (built-ins plus capabilities); the built-ins by default. */
  registry?: KindRegistry;
  /**
   * How GitHub triggers are served (`GITHUB_TRIGGERS` of `./github.ts`): given by default by `createWorker` of
   * `hosts/workers/index.ts`; this module's `createWorker` has none, so a Worker without GitHub triggers does not
   * bundle them (the packaged entry passes it only when a flow has one).
   */
  github?: GithubTriggers;
  /**
   * The platform's `waitUntil` (in a Worker: `import { waitUntil } from "cloudflare:workers"`, which extends the
   * current request), given to every run as `RunOptions.waitUntil`: work a node hands to it goes on after the
   * answer (the webhook flow completes a delivery in the ledger that way, one Durable Object round trip off the
   * request's path). Without it, nodes await that work before the run answers.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** A Workers module plus the programmatic entry points. */
export interface FlowsWorker extends ExportedHandler<Bindings> {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Promise<Response>;
  queue(batch: MessageBatch<unknown>, env: Bindings, ctx: ExecutionContext): Promise<void>;
  scheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext): Promise<void>;
  /** The Hono app, to mount into another app: `app.route("/flows", worker.app)`. */
  readonly app: ReturnType<typeof createFlowsApp>;
  readonly flows: FlowSet;
  /**
   * Runs a flow directly, bypassing HTTP (tests, embedding). `body` and `headers` become `trigger.body` and
   * `trigger.headers`; a flow without triggers (a subflow) gets `body` itself as `trigger`, as from a `subflow` node.
   * @example const result = await worker.invoke("echo", { hi: 1 }, {}, AbortSignal.timeout(1000), env)
   */
  invoke(
    flowId: string,
    body: unknown,
    headers?: Record<string, string>,
    signal?: AbortSignal,
    env?: Bindings,
  ): Promise<RunResult>;
}

/**
 * Builds the Workers module for a set of validated flows: `fetch` (Hono routes from HTTP triggers), `queue`
 * (one run per message) and `scheduled` (cron triggers). When `env` has the `FLOWS_RUNTIME` Durable Object
 * binding (`options.runtimeBinding`), every run uses its idempotency ledger, and each queue run a journal
 * keyed by the message id; `options.runOptions` still overrides both.
 * @example export default createWorker([echoFlow], { registry })
 */
export function createWorker(
  documents: readonly FlowDocument[],
  userOptions: WorkerOptions = {},
): FlowsWorker {
  const set = createFlowSet(documents, userOptions.registry, userOptions.github);
  const options: WorkerOptions = {
    ...userOptions,
    runOptions: (env) => ({
      ...runtimeRunOptions(env, userOptions),
      ...(userOptions.waitUntil ? { waitUntil: userOptions.waitUntil } : {}),
      ...userOptions.runOptions?.(env),
    }),
  };
  const app = createFlowsApp(set, options);
  const runOptions = (env: Bindings): RunOptions => baseRunOptions(set, env, options);
  // Queue and cron runs are recorded in the run store as HTTP runs are (createFlowsApp records those).
  const runs = new RunsRecorder(set.documents.values(), options.runs ?? {}, options.log ?? consoleSink);
  const metrics = new RunMetrics(set.documents.values(), options.log ?? consoleSink);
  const recordingIn = (env: Bindings, ctx: ExecutionContext): RecordingContext => {
    const clock = userOptions.runOptions?.(env).clock;
    return { env, waitUntil: (promise) => ctx.waitUntil(promise), ...(clock ? { clock } : {}) };
  };
  return {
    app,
    flows: set,
    fetch: async (request, env, ctx) => app.fetch(request, env, ctx),
    queue: async (batch, env, ctx) => {
      if (!celLoaded()) await loadCel();
      return handleQueueBatch(set, batch, env, {
        ...(options.log ? { log: options.log } : {}),
        runOptions: (message, route) => {
          const journal = queueJournal(env, userOptions, batch.queue, route.flowId, message.id);
          return journal ? { journal, ...runOptions(env) } : runOptions(env);
        },
        recording: (route) => {
          const trigger = { type: "queue", id: route.triggerId };
          const recording = runs.records(env, route.flowId)
            ? runs.start(recordingIn(env, ctx), route.flowId, trigger, false)
            : undefined;
          return metrics.around(env, route.flowId, trigger, recording);
        },
      });
    },
    scheduled: async (controller, env, ctx) => {
      if (!celLoaded()) await loadCel();
      return handleScheduled(set, controller, ctx, runOptions(env), options.log, (route) => {
        const trigger = { type: "cron", id: route.triggerId };
        const recording = runs.records(env, route.flowId)
          ? runs.start(recordingIn(env, ctx), route.flowId, trigger, false)
          : undefined;
        return metrics.around(env, route.flowId, trigger, recording);
      });
    },
    invoke: (flowId, body, headers = {}, signal, env = {}) => {
      const plan = set.plans.get(flowId);
      if (!plan) throw new TypeError(`no flow \`${flowId}\` (known: ${[...set.plans.keys()].join(", ")})`);
      // A flow without triggers (a subflow) gets `body` as it is, as a `subflow` node passes its input.
      const called = set.documents.get(flowId)?.triggers.length === 0;
      const trigger = called ? body : { type: "invoke", body, headers };
      const run = () => runFlow(plan, { ...runOptions(env), trigger, ...(signal ? { signal } : {}) });
      return celLoaded() ? run() : loadCel().then(run);
    },
  };
}
