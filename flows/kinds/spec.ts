import type { BindingType, Determinism, Duration, Effect, Json, RetryPolicyDecl } from "../ir/types.ts";

/** A JSON Schema (draft 2020-12) object, as plain data. */
export type JsonSchema = { [key: string]: Json };

export interface PortSpec {
  description?: string;
  /** An input port that must be given (validator: FLOW_INPUT_MISSING). */
  required?: boolean;
  /**
   * An output port whose stream is bytes from the platform (an R2 body, a fetch body): with one reader that reads
   * it once, the kernel hands it over untouched, so workerd moves the bytes natively (kernel/hand-off.ts).
   */
  bytes?: boolean;
  /**
   * The port is a stream only for some configs: when `config[field]` is one of `values` (`byDefault` when the field
   * is absent). Without it, a `bytes` port is always a stream. The validator reads it for durable flows, whose step
   * outputs cannot be streams (FLOW_DURABLE_STREAM).
   */
  streamWhen?: { readonly field: string; readonly values: readonly string[]; readonly byDefault: boolean };
}

/**
 * The pure, declarative half of a node kind: what the validator, the packager and the docs read.
 * The kernel pairs it with an implementation (see `kernel/kinds`). Specs are plain data plus, at most,
 * pure functions of the node's config.
 */
export interface NodeKindSpec {
  /** Registry name: `transform`, `kv.get`, `github.request`. */
  readonly kind: string;
  readonly description: string;
  readonly effect: Effect;
  readonly determinism: Determinism;
  /** Declared input ports. */
  readonly inputs: Readonly<Record<string, PortSpec>>;
  /** When true, a node of this kind may also take input ports not declared above (e.g. `transform`). */
  readonly openInputs?: boolean;
  /** Output ports; a function when they depend on config (e.g. `switch` cases). */
  readonly outputs: Readonly<Record<string, PortSpec>> | ((config: Record<string, Json>) => string[]);
  /**
   * A join (like `merge`) runs once every source has ended, even when some were skipped, and receives only
   * the inputs whose references are available; it is skipped only when none is.
   */
  readonly join?: boolean;
  /**
   * A branch emits its input on one of its output ports only (`condition`: `then` or `else`), so a node reading
   * one of them is skipped when another was taken. `exhaustive`: one is always taken (false for a `switch` without
   * `default`, which may take none). The validator follows branches to warn of an answer that may be skipped.
   */
  readonly branch?: (config: Record<string, Json>) => { exhaustive: boolean };
  /** JSON Schema of `config`; compiled to a standalone validator at build time. */
  readonly configSchema: JsonSchema;
  /**
   * Binding types this kind needs. The node names its binding in `config.binding`; when it does not,
   * the flow must declare exactly one binding of that type.
   */
  readonly needs?: readonly BindingType[];
  readonly defaultTimeout?: Duration;
  readonly defaultRetry?: RetryPolicyDecl;
  /**
   * What a node of this kind acts on, when it is not a binding (`needs` names those): an input port
   * (`inputs.url`) or a config field (`config.route`). `flows plan` names effects by it ("new external effect:
   * `http.fetch` to `${{ vars.API }}`"); nothing else reads it.
   */
  readonly target?: `inputs.${string}` | `config.${string}`;
  /** Names of config fields whose string values may hold `${{ }}` expressions (checked at validation). */
  readonly expressionConfig?: readonly string[];
  /**
   * A kind of the built-in flows (e.g. `github.webhook.*`, behind GitHub triggers): valid in any flow, but never
   * offered to users (the validator's known-kinds list and suggestions leave it out).
   */
  readonly internal?: boolean;
  /**
   * The kind makes its own durable step through `NodeContext.steps` (`sleep`, `wait`): in a durable run the kernel
   * does not wrap it in an engine step, and the flow's default timeout does not apply to it.
   */
  readonly ownStep?: boolean;
}

/** A frozen map from kind name to spec. */
export type KindCatalog = Readonly<Record<string, NodeKindSpec>>;

/**
 * Whether a node of this kind is a step of its own in a durable run, and journaled in any run: it has an effect or is
 * not strictly deterministic (recomputing it on replay could give another value), and it does not make its own step.
 */
export const isStepKind = (spec: NodeKindSpec): boolean =>
  spec.ownStep !== true && (spec.effect !== "pure" || spec.determinism !== "strict");

/** Whether output port `port` of a node of this kind, with this config, carries a stream. */
export function streamsOn(
  spec: NodeKindSpec,
  port: string,
  config: Readonly<Record<string, unknown>>,
): boolean {
  if (typeof spec.outputs === "function") return false;
  const declared = spec.outputs[port];
  if (!declared?.bytes) return false;
  const when = declared.streamWhen;
  if (!when) return true;
  const value = config[when.field];
  return value === undefined ? when.byDefault : when.values.includes(String(value));
}

/** The output port names of a node of this kind with this config. */
export function outputPorts(spec: NodeKindSpec, config: Record<string, Json>): string[] {
  return typeof spec.outputs === "function" ? spec.outputs(config) : Object.keys(spec.outputs);
}
