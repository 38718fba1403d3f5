import { isJsonMediaType } from "../../flows/units/media-type.ts";
import {
  createRegistry,
  FlowError,
  type KindRegistry,
  type NodeContext,
  type NodeKind,
} from "../../kernel/index.ts";
import { checkAborted } from "../binding.ts";
import { capabilityError } from "../codes.ts";
import { describe, inputError, stringInput } from "../inputs.ts";
import {
  DO_KIND_SPECS,
  DO_LIMITS,
  KIND_DO_CALL,
  KIND_DO_DELETE,
  KIND_DO_GET,
  KIND_DO_INCREMENT,
  KIND_DO_PUT,
  STATE_CLASS,
} from "./declaration.ts";
import { isNamespace, type RuntimeNamespace } from "./runtime-client.ts";

/** The run-time half of Durable Objects: each kind reads its namespace lazily from `env[config.binding]`. */

/** The RPC surface of FlowsState that the kinds call. */
export interface StateStub {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown, opKey?: string): Promise<true>;
  delete(key: string, opKey?: string): Promise<boolean>;
  increment(key: string, by?: number, opKey?: string): Promise<number>;
  fetch(request: Request): Promise<Response>;
}

const spec = (name: string) => DO_KIND_SPECS[name]!;

/** The namespace of `config.binding`, or BINDING_MISSING saying how to declare it. */
export function namespace(ctx: NodeContext): RuntimeNamespace {
  const name = typeof ctx.config.binding === "string" ? ctx.config.binding : undefined;
  if (name === undefined) {
    throw capabilityError(
      "BINDING_MISSING",
      `node \`${ctx.nodeId}\` names no binding: set config.binding, or declare exactly one durableObject binding in the flow`,
      { details: { nodeId: ctx.nodeId } },
    );
  }
  const value = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (!isNamespace(value)) {
    const what =
      value === undefined || value === null
        ? "is missing from env"
        : "in env is not a Durable Object namespace";
    throw capabilityError(
      "BINDING_MISSING",
      `binding \`${name}\` ${what}: add a durable_objects binding with name = "${name}" and class_name = "${STATE_CLASS}" to wrangler.toml`,
      { details: { binding: name, section: "durable_objects.bindings", nodeId: ctx.nodeId } },
    );
  }
  return value;
}

/** The stub of the object named by input `object`. */
function object(ctx: NodeContext): StateStub {
  const ns = namespace(ctx);
  const name = stringInput(ctx, "object", DO_LIMITS.objectNameBytes);
  checkAborted(ctx);
  return ns.get(ns.idFromName(name)) as StateStub;
}

const key = (ctx: NodeContext): string => stringInput(ctx, "key", DO_LIMITS.keyBytes);

/**
 * A failed object call as DO_FAILED: retriable when the platform says so (`retryable`, set on transient
 * Durable Object errors) or gives no verdict, not when the object refused the operation (not a number).
 */
function failed(ctx: NodeContext, op: string, cause: unknown): FlowError {
  if (cause instanceof FlowError) return cause;
  const text = cause instanceof Error ? cause.message : String(cause);
  const refused = /is not a number/.test(text);
  const retryable = (cause as { retryable?: unknown } | null)?.retryable;
  return capabilityError("DO_FAILED", `${op} on \`${String(ctx.config.binding)}\` failed: ${text}`, {
    cause,
    details: { binding: ctx.config.binding, nodeId: ctx.nodeId },
    retriable: !refused && retryable !== false,
  });
}

/** Awaits an object call, mapping its failure (see `failed`). */
async function call<T>(ctx: NodeContext, op: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw failed(ctx, op, error);
  }
}

/** The operation key of a write: the node's idempotency key, scoped to the flow and node. */
const opKey = (ctx: NodeContext): string | undefined =>
  ctx.idempotencyKey === undefined ? undefined : `${ctx.flowId}:${ctx.nodeId}:${ctx.idempotencyKey}`;

export const doGetKind: NodeKind = {
  spec: spec(KIND_DO_GET),
  run: async (ctx) => {
    const stub = object(ctx);
    const k = key(ctx);
    return { out: (await call(ctx, "do.get", () => stub.get(k))) ?? null };
  },
};

export const doPutKind: NodeKind = {
  spec: spec(KIND_DO_PUT),
  run: async (ctx) => {
    const stub = object(ctx);
    const k = key(ctx);
    const value = ctx.inputs.value;
    if (value === undefined) throw inputError(ctx, "value", `must be given, got ${describe(value)}`);
    await call(ctx, "do.put", () => stub.put(k, value, opKey(ctx)));
    return { out: k };
  },
};

export const doDeleteKind: NodeKind = {
  spec: spec(KIND_DO_DELETE),
  run: async (ctx) => {
    const stub = object(ctx);
    const k = key(ctx);
    return { out: await call(ctx, "do.delete", () => stub.delete(k, opKey(ctx))) };
  },
};

export const doIncrementKind: NodeKind = {
  spec: spec(KIND_DO_INCREMENT),
  run: async (ctx) => {
    const stub = object(ctx);
    const k = key(ctx);
    const by = ctx.inputs.by ?? 1;
    if (typeof by !== "number" || !Number.isFinite(by))
      throw inputError(ctx, "by", `must be a finite number, got ${describe(by)}`);
    return { out: await call(ctx, "do.increment", () => stub.increment(k, by, opKey(ctx))) };
  },
};

function callRequest(ctx: NodeContext): Request {
  const path = ctx.inputs.path ?? "/";
  if (typeof path !== "string" || !path.startsWith("/"))
    throw inputError(ctx, "path", `must be a string starting with /, got ${describe(path)}`);
  const body = ctx.inputs.body;
  const method = ctx.inputs.method ?? (body === undefined || body === null ? "GET" : "POST");
  if (typeof method !== "string" || !/^[A-Z]+$/.test(method))
    throw inputError(ctx, "method", `must be an upper-case HTTP method, got ${describe(method)}`);
  const headers = new Headers();
  const given = ctx.inputs.headers;
  if (given !== undefined && given !== null) {
    if (typeof given !== "object" || Array.isArray(given))
      throw inputError(ctx, "headers", `must be an object of strings, got ${describe(given)}`);
    for (const [name, value] of Object.entries(given)) headers.set(name, String(value));
  }
  let payload: string | undefined;
  if (body !== undefined && body !== null) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (typeof body !== "string" && !headers.has("content-type"))
      headers.set("content-type", "application/json");
  }
  return new Request(`https://durable-object${path}`, { method, headers, body: payload, signal: ctx.signal });
}

export const doCallKind: NodeKind = {
  spec: spec(KIND_DO_CALL),
  run: async (ctx) => {
    const stub = object(ctx);
    const request = callRequest(ctx);
    const response = await call(ctx, "do.call", () => stub.fetch(request));
    const text = await response.text();
    const json = isJsonMediaType(response.headers.get("content-type"));
    let body: unknown = text;
    if (json && text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, body };
  },
};

/** The Durable Object kinds, keyed by kind name. */
export const DO_KINDS: KindRegistry = createRegistry(
  doGetKind,
  doPutKind,
  doDeleteKind,
  doIncrementKind,
  doCallKind,
);
