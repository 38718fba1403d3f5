import fc from "fast-check";

/**
 * Generators of broken flow documents, shared by the validator's property test (flows/validate/property.test.ts)
 * and the soak's bad-input section (bench/soak/bad-flows.ts): structural mutations of valid documents and textual
 * edits of their text.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Mutation =
  | { op: "delete" | "retype" | "rename" | "duplicate"; path: number[] }
  | { op: "link"; from: number; to: number; after: boolean }
  | { op: "policy"; node: number; field: "timeout" | "retry" | "idempotencyKey" | "kind"; value: Json }
  | { op: "replace"; path: number[]; value: Json }
  | { op: "add"; path: number[]; key: string; value: Json };

const path = fc.array(fc.nat(), { maxLength: 6 });
/**
 * Structural mutations of a flow document: delete, retype, rename, duplicate, replace with `value`, add a key
 * (including `__proto__`, added as an own property), link two nodes (cycles, self-references), set a node's
 * timeout, retry, idempotency key or kind.
 */
export function mutationOf(value: fc.Arbitrary<Json>): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({
      op: fc.constant("link"),
      from: fc.nat(),
      to: fc.nat(),
      after: fc.boolean(),
    }) as fc.Arbitrary<Mutation>,
    fc.record({
      op: fc.constant("policy"),
      node: fc.nat(),
      field: fc.constantFrom("timeout", "retry", "idempotencyKey", "kind"),
      value: fc.constantFrom<Json>(
        "10m",
        "5m",
        "1h",
        { attempts: 3 },
        { attempts: 2, idempotent: true },
        "${{ run.id }}",
        "kv.put",
        "kv.get",
        "queue.send",
        "http.fetch",
      ),
    }) as fc.Arbitrary<Mutation>,
    fc.record({
      op: fc.constantFrom("delete", "retype", "rename", "duplicate"),
      path,
    }) as fc.Arbitrary<Mutation>,
    fc.record({ op: fc.constant("replace"), path, value }) as fc.Arbitrary<Mutation>,
    fc.record({
      op: fc.constant("add"),
      path,
      key: fc.constantFrom(
        "id",
        "kind",
        "inputs",
        "config",
        "after",
        "when",
        "retry",
        "timeout",
        "binding",
        "bindings",
        "secret",
        "path",
        "extra",
        "__proto__",
        "x",
      ),
      value,
    }) as fc.Arbitrary<Mutation>,
  );
}

/** Walks `choices` down the document; returns the container and key of the chosen value. */
function pick(
  root: Json,
  choices: number[],
): { parent: Json[] | Record<string, Json>; key: string | number } | undefined {
  let parent: Json[] | Record<string, Json> | undefined;
  let key: string | number | undefined;
  let current: Json = root;
  for (const choice of choices) {
    if (Array.isArray(current) && current.length > 0) {
      parent = current;
      key = choice % current.length;
    } else if (current !== null && typeof current === "object" && Object.keys(current).length > 0) {
      parent = current;
      const keys = Object.keys(current);
      key = keys[choice % keys.length]!;
    } else break;
    current = (parent as Record<string | number, Json>)[key]!;
  }
  return parent !== undefined && key !== undefined ? { parent, key } : undefined;
}

function retype(v: Json): Json {
  if (typeof v === "string") return v.length;
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return { 0: v[0] ?? null };
  if (v !== null && typeof v === "object") return Object.values(v);
  return v === null ? {} : null;
}

/** Links two nodes (an input reference or `after`): makes cycles and self-references likely. */
function link(root: Json, m: Extract<Mutation, { op: "link" }>): void {
  const nodes = (root as { nodes?: Json }).nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return;
  const from = nodes[m.from % nodes.length] as Record<string, Json>;
  const to = nodes[m.to % nodes.length] as Record<string, Json>;
  if (!from || typeof from !== "object" || typeof to?.id !== "string") return;
  if (m.after) from.after = [to.id];
  else from.inputs = { ...(from.inputs as object), linked: `\${{ nodes.${to.id}.out }}` };
}

function setPolicy(root: Json, m: Extract<Mutation, { op: "policy" }>): void {
  const nodes = (root as { nodes?: Json }).nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return;
  const node = nodes[m.node % nodes.length] as Record<string, Json>;
  if (node && typeof node === "object" && !Array.isArray(node)) node[m.field] = m.value;
}

/** A copy of `doc` with the mutations applied in order (those that find no target are skipped). */
export function mutate(doc: Json, mutations: Mutation[]): Json {
  const root = structuredClone(doc);
  for (const m of mutations) {
    if (m.op === "link") {
      link(root, m);
      continue;
    }
    if (m.op === "policy") {
      setPolicy(root, m);
      continue;
    }
    const at = pick(root, m.path);
    if (!at) continue;
    const target = at.parent as Record<string | number, Json>;
    const current = target[at.key]!;
    switch (m.op) {
      case "delete":
        if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
        else delete target[at.key];
        break;
      case "replace":
        target[at.key] = m.value;
        break;
      case "retype":
        target[at.key] = retype(current);
        break;
      case "rename":
        target[at.key] =
          typeof current === "string" ? `${current.slice(0, -1)}${current.endsWith("a") ? "b" : "a"}` : "n0";
        break;
      case "duplicate":
        if (Array.isArray(at.parent)) at.parent.push(structuredClone(current));
        break;
      case "add":
        // An own property even for `__proto__`, as JSON.parse makes it.
        if (current !== null && typeof current === "object" && !Array.isArray(current))
          Object.defineProperty(current, m.key, {
            value: m.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        break;
    }
  }
  return root;
}

export type Edit = { at: number; remove: number; insert: string };
/** A textual edit: at a position, remove some characters and insert YAML/JSON punctuation or random text. */
export const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 8 }),
  insert: fc.oneof(
    fc.constantFrom(
      "",
      ":",
      "- ",
      "  ",
      "\n",
      "\t",
      "{",
      "}",
      "[",
      "]",
      "&a ",
      "*a",
      "!tag ",
      '"',
      "'",
      "#",
      "${{",
      "}}",
      "---\n",
      "? ",
    ),
    fc.string({ maxLength: 6 }),
  ),
});

export function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.remove);
  }
  return out;
}
