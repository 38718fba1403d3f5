import { type NodeContext, NonRetriableError } from "../kernel/index.ts";

/** A NODE_INPUT_INVALID error (422, user) naming the node and the input. */
export function inputError(ctx: NodeContext, input: string, message: string): NonRetriableError {
  return new NonRetriableError(`node \`${ctx.nodeId}\`: input \`${input}\` ${message}`, {
    code: "NODE_INPUT_INVALID",
    status: 422,
    expose: true,
    details: { nodeId: ctx.nodeId, input },
  });
}

const utf8 = new TextEncoder();

/** A required non-empty string input, at most `maxBytes` UTF-8 bytes when given. */
export function stringInput(ctx: NodeContext, name: string, maxBytes?: number): string {
  const value = ctx.inputs[name];
  if (typeof value !== "string" || value === "")
    throw inputError(ctx, name, `must be a non-empty string, got ${describe(value)}`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a short string is within the limit without encoding it (an
  // encode is a native call and an allocation per node on workerd).
  if (maxBytes !== undefined && value.length * 3 > maxBytes) {
    const size = utf8.encode(value).byteLength;
    if (size > maxBytes) throw inputError(ctx, name, `is ${size} bytes; the limit is ${maxBytes}`);
  }
  return value;
}

/** An optional string input (undefined and null mean absent). */
export function optionalString(ctx: NodeContext, name: string): string | undefined {
  const value = ctx.inputs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw inputError(ctx, name, `must be a string, got ${describe(value)}`);
  return value;
}

/** An optional whole-number input within [min, max]; numeric strings are accepted (header values). */
export function optionalInteger(
  ctx: NodeContext,
  name: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = ctx.inputs[name];
  if (raw === undefined || raw === null || raw === "") return undefined;
  const value = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  if (typeof value === "bigint") return optionalIntegerOf(ctx, name, Number(value), min, max);
  return optionalIntegerOf(ctx, name, value, min, max);
}

function optionalIntegerOf(ctx: NodeContext, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw inputError(ctx, name, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
  return value;
}

/** An optional object input of string values (metadata maps). */
export function optionalStringMap(ctx: NodeContext, name: string): Record<string, string> | undefined {
  const value = ctx.inputs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw inputError(ctx, name, `must be an object of strings, got ${describe(value)}`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) out[key] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/** A short description of a value's type for messages: `number 3`, `list`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  if (value instanceof ReadableStream) return "a stream";
  return typeof value === "object" ? "an object" : typeof value;
}
