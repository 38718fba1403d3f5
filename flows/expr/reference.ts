/**
 * The fast path for an expression that is a plain reference (`trigger.body`, `nodes.fetch.out`, `vars.CURRENCY`):
 * most expressions in flows are, and walking the scope costs a fraction of running the CEL interpreter. It only
 * answers where the answer is certain to be CEL's: every step an own property of a plain object, the value JSON.
 * Anything else (a missing key, a null on the way, a Map, a stream, a typed array) returns NOT_PLAIN, and the
 * caller evaluates with CEL, whose result or error stays the one definition.
 */

/** `a.b.c`: identifiers joined by dots, nothing else. */
const PLAIN_REFERENCE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The answer when the walk cannot be sure: evaluate with CEL. */
export const NOT_PLAIN: unique symbol = Symbol("not a plain reference");

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** JSON values only: what CEL gives back unchanged (before `fromCel`'s copy). */
function isJsonValue(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      return value === null || Array.isArray(value) || isPlainObject(value);
    default:
      return false;
  }
}

/** The path of a plain reference (`["trigger", "body"]`), or undefined when `source` is anything else. */
export function plainReferencePath(source: string): readonly string[] | undefined {
  return PLAIN_REFERENCE.test(source) ? source.split(".") : undefined;
}

/** Walks `path` in `scope`; NOT_PLAIN wherever CEL must decide. */
export function readPlainReference(
  scope: Readonly<Record<string, unknown>>,
  path: readonly string[],
): unknown {
  let value: unknown = scope;
  for (const key of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return NOT_PLAIN;
    value = value[key];
  }
  return isJsonValue(value) ? value : NOT_PLAIN;
}
