import type { DurableObjectsFragment } from "../../../capabilities/durable-objects/declaration.ts";

/**
 * The run store's pure half: the binding and class names, the sharding and the wrangler entries the packager
 * adds (`cli/package`). No I/O, no `cloudflare:workers`: it loads in Node too.
 */

/** The Durable Object binding of the run store. */
export const RUNS_BINDING = "FLOWS_RUNS";
/** Its class, exported by every packaged Worker that records runs (`hosts/workers/objects.ts`). */
export const RUNS_CLASS = "FlowsRuns";
/**
 * The migration tag that creates the class in a new config. A user's config that has other migrations already
 * gets a new tag of its own (`cli/package/user-config.ts` adds one for every class no migration creates).
 */
export const RUNS_MIGRATION_TAG = "v1";

/**
 * Index shards per flow (at most): a flow's runs are listed by `index:<flowId>:<shard>` objects, the shard being a
 * hash of the run id, so that no object sits on every recording of a busy flow. A flow with `maxRuns` below this
 * uses `maxRuns` shards (each keeps at most `ceil(maxRuns / shards)` entries).
 */
export const INDEX_SHARDS = 16;

/**
 * Subrequests the recording of one run makes (after the answer, under `waitUntil`): its object, its index shard,
 * and the object of the run the shard drops once the flow is at `maxRuns`. `flows package` adds them to a recorded
 * flow's count.
 */
export const RECORDING_SUBREQUESTS = 3;

/** The shards of a flow's index for its `maxRuns`. */
export const indexShards = (maxRuns: number): number => Math.max(1, Math.min(INDEX_SHARDS, maxRuns));

/** Name of the object that holds one run (its record and event log). */
export const runObjectName = (runId: string): string => `run:${runId}`;

/** Name of one shard of a flow's index. */
export const indexObjectName = (flowId: string, shard: number): string => `index:${flowId}:${shard}`;

/** The wrangler entries of the run store: the `FLOWS_RUNS` binding and a migration creating `FlowsRuns`. */
export function runsWrangler(): DurableObjectsFragment {
  return {
    durable_objects: { bindings: [{ name: RUNS_BINDING, class_name: RUNS_CLASS }] },
    migrations: [{ tag: RUNS_MIGRATION_TAG, new_sqlite_classes: [RUNS_CLASS] }],
  };
}
