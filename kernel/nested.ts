import { NodeCtx } from "./context.ts";
import { runDurableStep } from "./durable.ts";
import { FlowError } from "./errors.ts";
import { evaluateConfig, evaluateInputs, type RunScope } from "./evaluate.ts";
import { stepKey } from "./journal.ts";
import { stableKey } from "./memo.ts";
import type { CompiledTemplate } from "./plan-step.ts";
import type { Run } from "./run.ts";
import { pumpStreams, runAttempts, StepFailed, type StepSuccess, streamPorts, withJournal } from "./step.ts";

/**
 * Work nested inside a node: one item of a node template (`map`), and a subflow call. Both run under the
 * calling node's signal, share the run's memo table and journal, and use step keys derived from the caller.
 */

/** Subflow calls nest at most this deep (a flow calling itself would otherwise recurse until the deadline). */
export const MAX_SUBFLOW_DEPTH = 8;

/**
 * Runs the caller's node template for one item: inputs and config evaluated with `item` and `index` in
 * scope; pure templates memoised on kind + config + inputs; effectful ones journaled under
 * `<node>.<field>#<index + 1>`. Resolves to the template's result port.
 */
export function runTemplate(
  run: Run,
  caller: NodeCtx,
  item: unknown,
  index: number,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const template = caller.step.template;
  if (!template) {
    return Promise.reject(
      new FlowError("PLAN_INVALID", `node kind \`${caller.step.kindName}\` declares no node template`),
    );
  }
  const scope: RunScope = { ...run.scope, input: undefined, item, index };
  let inputs: Readonly<Record<string, unknown>>;
  let config: Readonly<Record<string, unknown>>;
  try {
    inputs = evaluateInputs(template, scope);
    config = evaluateConfig(template, scope, inputs);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = stepKey(`${run.config.keyPrefix}${template.id}`, index + 1);
  const parent = signal ? { signal } : caller;
  const execute = (): Promise<unknown> => {
    const ctx = new NodeCtx({
      run,
      step: template,
      stepKey: key,
      attempt: 1,
      inputs,
      config,
      idempotencyKey: undefined,
      scope,
      parent,
    });
    const attempts = (): Promise<StepSuccess> => runAttempts(run, ctx);
    const { journal, steps } = run.config;
    const work =
      steps && template.journaled
        ? runDurableStep(steps, run, ctx)
        : journal && template.journaled
          ? withJournal(journal, key, () => run.config.clock.now(), attempts)
          : attempts();
    return work.then((success) => templateResult(template, success), unwrapFailure);
  };
  if (template.memoise) {
    const memoKey = stableKey([template.kindName, config, inputs]);
    if (memoKey !== undefined) return run.config.memo.run(`template\u0000${memoKey}`, execute);
  }
  return execute();
}

async function templateResult(template: CompiledTemplate, success: StepSuccess): Promise<unknown> {
  let outputs = success.outputs;
  const ports = success.ctx ? streamPorts(outputs) : undefined;
  try {
    if (ports && success.ctx) {
      const pumped = pumpStreams(outputs, ports, success.ctx.signal, () => {});
      outputs = pumped.outputs;
      await pumped.done;
    }
  } finally {
    success.guard?.release();
  }
  return template.port === undefined ? outputs : outputs[template.port];
}

const unwrapFailure = (error: unknown): never => {
  throw error instanceof StepFailed ? error.error : error;
};

/** Subflow calls made so far by each node attempt, per flow id. */
const subflowCalls = new WeakMap<NodeCtx, Map<string, number>>();

/**
 * The journal key prefix of a subflow call: `<caller step>/<flow id>#<n>/`, n counting the caller's calls of that
 * flow, so that the steps of two subflows called by one node (a webhook routed to several flows) never share a
 * key, and a resumed run finds each one's own steps.
 */
function subflowKeyPrefix(caller: NodeCtx, flowId: string): string {
  const calls = subflowCalls.get(caller) ?? new Map<string, number>();
  subflowCalls.set(caller, calls);
  const n = (calls.get(flowId) ?? 0) + 1;
  calls.set(flowId, n);
  return `${stepKey(`${caller.stepKey}/${flowId}`, n)}/`;
}

/**
 * Runs another flow of the deployment with `input` as its trigger, under the calling node's signal.
 * A call of a pure, deterministic flow is memoised on flow id + input (keyed only once the flow is called a second
 * time in the run: most subflows are called once, and keying serialises the whole input, e.g. a webhook payload).
 */
export function runSubflow(run: Run, caller: NodeCtx, flowId: string, input: unknown): Promise<unknown> {
  const keyPrefix = subflowKeyPrefix(caller, flowId);
  const plan = run.config.plans?.get(flowId);
  if (!plan) {
    return Promise.reject(
      new FlowError(
        "SUBFLOW_NOT_FOUND",
        `subflow \`${flowId}\` is not deployed with flow \`${run.flowId}\``,
        {
          details: { flowId },
        },
      ),
    );
  }
  if (run.config.depth >= MAX_SUBFLOW_DEPTH) {
    return Promise.reject(
      new FlowError(
        "SUBFLOW_DEPTH_EXCEEDED",
        `subflows nest ${run.config.depth + 1} deep; the limit is ${MAX_SUBFLOW_DEPTH}`,
        {
          details: { flowId, limit: MAX_SUBFLOW_DEPTH },
        },
      ),
    );
  }
  const execute = async (): Promise<unknown> => {
    const overrides = {
      trigger: input,
      vars: undefined,
      // The run follows its calling node (no signal: one would cost that attempt and its run an AbortController
      // each, and this run a listener).
      signal: undefined,
      caller,
      deadlineMs: undefined,
      // In a durable run the call is one engine step: the callee's nodes run inside it, not as steps of their own.
      steps: undefined,
      keyPrefix,
    };
    const result = await run.runChild(plan, overrides);
    if (result.status === "ok") return result.output;
    throw (
      result.error ?? new FlowError("INTERNAL", `subflow \`${flowId}\` ended with status ${result.status}`)
    );
  };
  const pure = plan.effect === "pure" && (plan.determinism === "strict" || plan.determinism === "stable");
  if (!pure) return execute();
  return run.config.memo.runFirstUnkeyed(`subflow\u0000${flowId}`, input, execute);
}
