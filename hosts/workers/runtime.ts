// Not the capability's index: a Worker without Durable Object nodes bundles only the client of the ledger.
import { RUNTIME_BINDING } from "../../capabilities/durable-objects/declaration.ts";
import {
  durableJournal,
  durableLedger,
  isNamespace,
} from "../../capabilities/durable-objects/runtime-client.ts";
import { runtimeSharding } from "../../capabilities/durable-objects/shards.ts";
import type { RunJournal, RunOptions } from "../../kernel/index.ts";
import type { Bindings } from "./app.ts";

/**
 * The runtime's own Durable Object (`FlowsRuntime`) in the Workers host: when `env` has its binding, every
 * run gets the durable idempotency ledger, and queue runs a journal keyed by the message id, both sharded as
 * `FLOWS_RUNTIME_SHARDS` says (`runtimeSharding`). Without the binding, runs go on without them.
 */

export interface RuntimeBindingOption {
  /** Binding name of the FlowsRuntime namespace (default `FLOWS_RUNTIME`); `false` never uses it. */
  runtimeBinding?: string | false;
}

const namespaceIn = (env: Bindings, option: RuntimeBindingOption) => {
  const name = option.runtimeBinding ?? RUNTIME_BINDING;
  if (name === false) return undefined;
  const value = (env as Record<string, unknown>)[name];
  return isNamespace(value) ? value : undefined;
};

/** `{ ledger }` when the binding is there, else nothing. */
export function runtimeRunOptions(env: Bindings, option: RuntimeBindingOption): Partial<RunOptions> {
  const ns = namespaceIn(env, option);
  return ns
    ? { ledger: durableLedger(ns, { sharding: runtimeSharding(env as Record<string, unknown>) }) }
    : {};
}

/**
 * The journal of one queue-triggered run, keyed by queue, flow and message id: a re-delivered message
 * resumes the run and replays the steps that finished.
 */
export function queueJournal(
  env: Bindings,
  option: RuntimeBindingOption,
  queue: string,
  flowId: string,
  messageId: string,
): RunJournal | undefined {
  const ns = namespaceIn(env, option);
  return ns
    ? durableJournal(ns, `queue:${queue}:${flowId}:${messageId}`, {
        sharding: runtimeSharding(env as Record<string, unknown>),
      })
    : undefined;
}
