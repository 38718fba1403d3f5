import type { NodeContext } from "../kernel/index.ts";
import { capabilityError } from "./codes.ts";

/** How a capability finds and recognises its binding in `env`. */
export interface BindingShape<T> {
  /** What the binding is called in messages: `KV namespace`, `R2 bucket`, `queue producer`. */
  readonly label: string;
  /** The wrangler.toml section that declares it: `kv_namespaces`, `r2_buckets`, `queues.producers`. */
  readonly section: string;
  /** True when `value` has the methods the kinds call. */
  is(value: unknown): value is T;
}

/** True when `value` is an object with every one of these methods. */
export function hasMethods(value: unknown, ...names: readonly string[]): boolean {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === "function");
}

/**
 * The node's binding, read lazily from `env[config.binding]` (the plan fills `config.binding` when the flow
 * declares exactly one binding of the needed type). A missing binding, or one of another shape, is a
 * non-retriable BINDING_MISSING error that says how to fix wrangler.toml.
 * @example const kv = binding(ctx, KV_SHAPE) // KVNamespace
 */
export function binding<T>(ctx: NodeContext, shape: BindingShape<T>): T {
  const name = typeof ctx.config.binding === "string" ? ctx.config.binding : undefined;
  const kind = `node \`${ctx.nodeId}\``;
  if (name === undefined) {
    throw capabilityError(
      "BINDING_MISSING",
      `${kind} names no binding: set config.binding, or declare exactly one ${shape.label} binding in the flow`,
      { details: { nodeId: ctx.nodeId } },
    );
  }
  const value = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (value === undefined || value === null) {
    throw capabilityError(
      "BINDING_MISSING",
      `binding \`${name}\` is missing from env: add a ${shape.section} entry with binding = "${name}" to wrangler.toml`,
      { details: { binding: name, section: shape.section, nodeId: ctx.nodeId } },
    );
  }
  if (!shape.is(value)) {
    throw capabilityError(
      "BINDING_MISSING",
      `binding \`${name}\` in env is not a ${shape.label}: declare it as a ${shape.section} entry with binding = "${name}" in wrangler.toml`,
      { details: { binding: name, section: shape.section, nodeId: ctx.nodeId } },
    );
  }
  return value;
}

/** Throws the signal's reason when the node was aborted (timeout, deadline, cancel): call before every I/O. */
export function checkAborted(ctx: NodeContext): void {
  if (ctx.signal.aborted) throw ctx.signal.reason;
}
