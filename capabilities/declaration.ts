import type { BindingDecl, BindingType, TriggerDecl } from "../flows/ir/types.ts";
import type { KindCatalog } from "../flows/kinds/spec.ts";

/**
 * A fragment of wrangler configuration (as JSON, the shape of `wrangler.json`; wrangler.toml has the same keys).
 * Fragments of several capabilities are combined with `mergeWrangler`.
 */
export interface WranglerFragment {
  kv_namespaces?: { binding: string; id: string }[];
  r2_buckets?: { binding: string; bucket_name: string }[];
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: QueueConsumerConfig[];
  };
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  /** Durable Object migrations; fragments' entries with one tag are merged into one (classes kept once). */
  migrations?: { tag: string; new_sqlite_classes?: string[] }[];
  [section: string]: unknown;
}

/** A `[[queues.consumers]]` entry. Durations are in seconds, as wrangler wants them. */
export interface QueueConsumerConfig {
  queue: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  retry_delay?: number;
  dead_letter_queue?: string;
}

/**
 * The pure half of a capability: what the validator, the build and the packager read. No I/O, no `env`.
 * @example KV_DECLARATION.wrangler({ FLOW_KV: { type: "kv" } }, []) // { kv_namespaces: [{ binding: "FLOW_KV", id: "flow-kv" }] }
 */
export interface CapabilityDeclaration {
  /** Folder and kind prefix: `kv`, `r2`, `queues`. */
  readonly name: string;
  /** The binding type (in a flow's `bindings`) that its kinds need; none for `http` (the Worker's own fetch). */
  readonly bindingType?: BindingType;
  /** The kind specs, frozen. */
  readonly kinds: KindCatalog;
  /**
   * Where the run-time half is: a module specifier (a package's export: `flows-runtime/capabilities/kv/kinds`,
   * `my-capability/kinds`) and the name of its `export`, a KindRegistry. `flows package workers` imports it into
   * the generated entry module only when a flow uses one of `kinds`; `flows run` imports it in Node.
   * @example { module: "flows-runtime/capabilities/kv/kinds", export: "KV_KINDS" }
   */
  readonly runtime?: { readonly module: string; readonly export: string };
  /** The wrangler configuration for a flow's bindings (and triggers, for consumers). */
  wrangler(
    bindings: Readonly<Record<string, BindingDecl>>,
    triggers?: readonly TriggerDecl[],
  ): WranglerFragment;
}

type Value = unknown;
const isRecord = (v: Value): v is Record<string, Value> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** What makes two entries of a wrangler list one entry: their binding, name, consumed queue, tag or class. */
function identity(entry: Value): string {
  if (!isRecord(entry)) return JSON.stringify(entry);
  for (const key of ["binding", "name", "queue", "tag", "class_name", "pattern"]) {
    if (typeof entry[key] === "string") return `${key}:${entry[key]}`;
  }
  return JSON.stringify(entry);
}

/** Merges `b` into `a`: `a` wins on scalars, objects merge, lists are joined by `identity`. */
function merge(a: Value, b: Value): Value {
  if (a === undefined) return structuredClone(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const out = [...a];
    for (const item of b) {
      const at = out.findIndex((x) => identity(x) === identity(item));
      if (at === -1) out.push(structuredClone(item));
      else out[at] = merge(out[at], item);
    }
    return out;
  }
  if (isRecord(a) && isRecord(b)) {
    const out: Record<string, Value> = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = merge(out[key], value);
    return out;
  }
  return a;
}

/**
 * Combines fragments, keeping every section (also ones this file does not know: `d1_databases`, `vars`,
 * `services`...): lists are joined, entries with the same binding (or name, consumed queue, migration tag)
 * merged into one, the first fragment's values winning; objects are merged key by key. So migrations with
 * the same tag become one, each class in it once.
 * @example mergeWrangler([kv.wrangler(b), r2.wrangler(b)])
 */
export function mergeWrangler(fragments: readonly WranglerFragment[]): WranglerFragment {
  let out: Value = {};
  for (const fragment of fragments) out = merge(out, fragment);
  return out as WranglerFragment;
}

/** The entries of `bindings` of one type, in declaration order. */
export function bindingsOf<T extends BindingType>(
  bindings: Readonly<Record<string, BindingDecl>>,
  type: T,
): [string, Extract<BindingDecl, { type: T }>][] {
  return Object.entries(bindings).filter(
    (e): e is [string, Extract<BindingDecl, { type: T }>] => e[1].type === type,
  );
}
