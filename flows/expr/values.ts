import { EVALUATION_LIMITS, newResultBudget, type ResultBudget, resultLimitError } from "./budget.ts";

/**
 * Converts a CEL result to a plain JSON-like value: CEL integers are BigInt, which JSON cannot carry.
 * Integers within the safe range become numbers; larger ones become decimal strings (no silent loss).
 * The conversion is bounded (EVALUATION_LIMITS: depth, elements, characters) and throws EvaluationLimitError
 * past a bound, so a hostile payload fails with a code rather than a stack overflow or an exhausted isolate.
 */
export function fromCel(value: unknown): unknown {
  // Scalars (the common case) need no budget object.
  if (typeof value === "object" && value !== null) return convert(value, 0, newResultBudget());
  if (typeof value === "string" && value.length > EVALUATION_LIMITS.maxResultChars)
    throw resultLimitError("chars");
  return typeof value === "bigint" ? fromBigInt(value) : value;
}

const fromBigInt = (value: bigint): number | string =>
  value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();

function convert(value: unknown, depth: number, budget: ResultBudget): unknown {
  if (typeof value === "string") {
    budget.chars -= value.length;
    if (budget.chars < 0) throw resultLimitError("chars");
    return value;
  }
  if (typeof value !== "object" || value === null) {
    return typeof value === "bigint" ? fromBigInt(value) : value;
  }
  if (depth >= EVALUATION_LIMITS.maxResultDepth) throw resultLimitError("depth");
  if (Array.isArray(value)) {
    budget.items -= value.length;
    if (budget.items < 0) throw resultLimitError("items");
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = convert(value[i], depth + 1, budget);
    return out;
  }
  if (value instanceof Map) {
    budget.items -= value.size;
    if (budget.items < 0) throw resultLimitError("items");
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) set(out, String(k), convert(v, depth + 1, budget));
    return out;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const k in value) {
      if (--budget.items < 0) throw resultLimitError("items");
      set(out, k, convert((value as Record<string, unknown>)[k], depth + 1, budget));
    }
    return out;
  }
  return value;
}

/** `out[key] = value`, except that a `__proto__` key from JSON stays a plain own property (no prototype swap). */
function set(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
