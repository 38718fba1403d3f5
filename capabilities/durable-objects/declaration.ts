import type { BindingDecl } from "../../flows/ir/types.ts";
import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { DO_CODES } from "../codes.ts";
import { bindingsOf, type WranglerFragment } from "../declaration.ts";
import { defineCapability } from "../define.ts";

/**
 * Durable Objects: the pure half (kind specs and the wrangler bindings). Every kind addresses one object of
 * the flow's `durableObject` binding by name (input `object`, through `idFromName`); the generic class for
 * user state is `FlowsState`.
 */

export const KIND_DO_GET = "do.get";
export const KIND_DO_PUT = "do.put";
export const KIND_DO_DELETE = "do.delete";
export const KIND_DO_INCREMENT = "do.increment";
export const KIND_DO_CALL = "do.call";

/** The class of the generic state object, and of the runtime's own object (defined with the IR), and the runtime's binding. */
import { RUNTIME_CLASS, STATE_CLASS } from "../../flows/ir/objects.ts";

export { RUNTIME_CLASS, STATE_CLASS };
export const RUNTIME_BINDING = "FLOWS_RUNTIME";

/** Limits checked before a call (Durable Objects' own: keys up to 2 KiB, SQLite values up to 2 MB). */
export const DO_LIMITS = Object.freeze({ objectNameBytes: 1024, keyBytes: 2048, valueBytes: 2_000_000 });

const BINDING: JsonSchema = {
  type: "string",
  pattern: "^[A-Z][A-Z0-9_]*$",
  description: "The durableObject binding to use; may be left out when the flow declares exactly one.",
};
const bindingOnly: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: { binding: BINDING },
};
const OBJECT = { required: true, description: "Name of the object (`idFromName`), e.g. `user:42`." } as const;
const KEY = { required: true, description: "Key inside the object, at most 2 KiB." } as const;

const common = { configSchema: bindingOnly, needs: ["durableObject"], defaultTimeout: "10s" } as const;

const get: NodeKindSpec = {
  kind: KIND_DO_GET,
  description:
    "Reads input `key` from the storage of object `object`. `out` is the value (null when missing).",
  effect: "read",
  determinism: "stable",
  inputs: { object: OBJECT, key: KEY },
  outputs: { out: {} },
  ...common,
};

const put: NodeKindSpec = {
  kind: KIND_DO_PUT,
  description:
    "Stores input `value` (JSON; bytes kept) under input `key` in object `object`. With an `idempotencyKey` the write is applied once per key. `out` is the key.",
  effect: "write",
  determinism: "best_effort",
  inputs: { object: OBJECT, key: KEY, value: { required: true } },
  outputs: { out: {} },
  ...common,
};

const del: NodeKindSpec = {
  kind: KIND_DO_DELETE,
  description: "Deletes input `key` from object `object`. `out` is true when the key existed.",
  effect: "write",
  determinism: "best_effort",
  inputs: { object: OBJECT, key: KEY },
  outputs: { out: {} },
  ...common,
};

const increment: NodeKindSpec = {
  kind: KIND_DO_INCREMENT,
  description:
    "Atomically adds input `by` (default 1) to the number under input `key` (0 when missing) in object `object`. `out` is the new value. With an `idempotencyKey` it is applied once per key, even when an answer was lost and the node retried.",
  effect: "write",
  determinism: "best_effort",
  inputs: { object: OBJECT, key: KEY, by: { description: "A finite number; default 1." } },
  outputs: { out: {} },
  ...common,
};

const call: NodeKindSpec = {
  kind: KIND_DO_CALL,
  description:
    "Sends a request to object `object` (its `fetch`): input `method` (default GET, or POST when `body` is given), `path` (default `/`), `body` (a string as is, anything else as JSON), `headers`. `status` is the response status; `body` the response body (JSON when the response says so, else text).",
  effect: "external",
  determinism: "best_effort",
  inputs: { object: OBJECT, method: {}, path: {}, body: {}, headers: {} },
  outputs: { status: {}, body: {} },
  ...common,
};

/** The Durable Object kinds' specs, keyed by kind name. */
export const DO_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_DO_GET]: get,
  [KIND_DO_PUT]: put,
  [KIND_DO_DELETE]: del,
  [KIND_DO_INCREMENT]: increment,
  [KIND_DO_CALL]: call,
});

/** A `[[durable_objects.bindings]]` entry and a `[[migrations]]` entry. */
export interface DurableObjectsFragment extends WranglerFragment {
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  migrations?: { tag: string; new_sqlite_classes: string[] }[];
}

/**
 * The wrangler entries of the runtime's own object (journal and idempotency ledger): a host that has them
 * uses them for every run.
 */
export function runtimeWrangler(): DurableObjectsFragment {
  return {
    durable_objects: { bindings: [{ name: RUNTIME_BINDING, class_name: RUNTIME_CLASS }] },
    migrations: [{ tag: "v1", new_sqlite_classes: [RUNTIME_CLASS] }],
  };
}

/**
 * Durable Objects as a capability: kinds `do.*` on `durableObject` bindings; one
 * `[[durable_objects.bindings]]` entry per binding and a `v1` migration declaring their classes as SQLite
 * classes.
 * @example DO_DECLARATION.wrangler({ STATE: { type: "durableObject", className: "FlowsState" } })
 * // { durable_objects: { bindings: [{ name: "STATE", class_name: "FlowsState" }] }, migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsState"] }] }
 */
export const DO_DECLARATION = defineCapability({
  name: "durable-objects",
  codes: DO_CODES,
  runtime: { module: "flows-runtime/capabilities/durable-objects/kinds", export: "DO_KINDS" },
  bindingType: "durableObject",
  kinds: DO_KIND_SPECS,
  wrangler: (bindings: Readonly<Record<string, BindingDecl>>): DurableObjectsFragment => {
    const entries = bindingsOf(bindings, "durableObject").map(([name, decl]) => ({
      name,
      class_name: decl.className,
    }));
    if (entries.length === 0) return {};
    const classes = [...new Set(entries.map((e) => e.class_name))];
    return {
      durable_objects: { bindings: entries },
      migrations: [{ tag: "v1", new_sqlite_classes: classes }],
    };
  },
});
