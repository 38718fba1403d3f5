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
   * Where the run-time half is: `module`, a path from the repository root (the `flows` package), and the name
   * of its `export`, a KindRegistry. `flows package workers` imports it into the generated entry module only
   * when a flow uses one of `kinds`.
   * @example { module: "capabilities/kv/kinds.ts", export: "KV_KINDS" }
   */
  readonly runtime?: { readonly module: string; readonly export: string };
  /** The wrangler configuration for a flow's bindings (and triggers, for consumers). */
  wrangler(
    bindings: Readonly<Record<string, BindingDecl>>,
    triggers?: readonly TriggerDecl[],
  ): WranglerFragment;
}

/**
 * Combines fragments: lists are concatenated, entries with the same binding (or consumed queue, or Durable
 * Object binding name) kept once; migrations with the same tag become one, each class in it once.
 * @example mergeWrangler([kv.wrangler(b), r2.wrangler(b)])
 */
export function mergeWrangler(fragments: readonly WranglerFragment[]): WranglerFragment {
  const out: WranglerFragment = {};
  const seen = new Set<string>();
  const add = <T extends object>(
    list: T[] | undefined,
    items: readonly T[] | undefined,
    key: (t: T) => string,
  ) => {
    if (!items || items.length === 0) return list;
    const target = list ?? [];
    for (const item of items) {
      const id = key(item);
      if (seen.has(id)) continue;
      seen.add(id);
      target.push(item);
    }
    return target;
  };
  for (const fragment of fragments) {
    const kv = add(out.kv_namespaces, fragment.kv_namespaces, (e) => `kv:${e.binding}`);
    if (kv) out.kv_namespaces = kv;
    const r2 = add(out.r2_buckets, fragment.r2_buckets, (e) => `r2:${e.binding}`);
    if (r2) out.r2_buckets = r2;
    const producers = add(out.queues?.producers, fragment.queues?.producers, (e) => `qp:${e.binding}`);
    const consumers = add(out.queues?.consumers, fragment.queues?.consumers, (e) => `qc:${e.queue}`);
    if (producers || consumers) {
      out.queues = {
        ...out.queues,
        ...(producers ? { producers } : {}),
        ...(consumers ? { consumers } : {}),
      };
    }
    const objects = add(
      out.durable_objects?.bindings,
      fragment.durable_objects?.bindings,
      (e) => `do:${e.name}`,
    );
    if (objects) out.durable_objects = { bindings: objects };
    for (const migration of fragment.migrations ?? []) {
      out.migrations ??= [];
      let target = out.migrations.find((m) => m.tag === migration.tag);
      if (!target) {
        target = { tag: migration.tag };
        out.migrations.push(target);
      }
      for (const cls of migration.new_sqlite_classes ?? []) {
        target.new_sqlite_classes ??= [];
        if (!target.new_sqlite_classes.includes(cls)) target.new_sqlite_classes.push(cls);
      }
    }
  }
  return out;
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
