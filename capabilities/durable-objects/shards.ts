/**
 * How the runtime spreads its own Durable Objects: one hash for every sharded name (the FlowsRuntime ledger and
 * journals, the run store's index) and the shard count of FlowsRuntime. impl-docs/scale.md lists every object the
 * runtime uses, its key and its expected load. Pure: no I/O, loads anywhere.
 */

/**
 * FlowsRuntime shards by default, for the ledger and for the journals: at 10,000 webhooks/s, all with `ack: queue`
 * (3 ledger and 6 journal calls per delivery), a shard gets 117 and 234 calls/s on average and the busiest 173 and
 * 347 in a second, at most 35% of a Durable Object's soft limit of 1,000 requests/s (impl-docs/scale.md). Up to
 * 0.2 this was 32 with FNV-1a alone (`LEGACY_SHARDING`), which that load would have put over the limit.
 */
export const DEFAULT_SHARDS = 256;

/** The env var that sets the FlowsRuntime shard count of a deployment (a wrangler `vars` entry). */
export const SHARDS_VAR = "FLOWS_RUNTIME_SHARDS";

/** The var's value that keeps the names of deployments made with 0.2 or earlier: `ledger:<fnv1a(key) % 32>`. */
export const LEGACY_SHARDING = "legacy";

/** The most FlowsRuntime shards a deployment may ask for. */
export const MAX_SHARDS = 4096;

/** FNV-1a, 32 bits, of a string's UTF-16 code units. */
function fnv1a(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The shard of `key` among `shards`: FNV-1a, then MurmurHash3's 32-bit finaliser (`fmix32`). FNV-1a alone mixes its
 * low bits poorly: the shard of a power-of-two count depends only on the low bits of each character, so sequential
 * keys (`order:1`, `order:2`…) fill 256 shards unevenly (chi-square 470 against a critical 331 at p = 0.001 over
 * 100,000 keys); the finaliser spreads every input bit over the low ones. `shards.test.ts` checks the spread.
 * @example shardOf("github-delivery:72d3162e-cc78-11e3-81ab-4c9367dc0958", 256) // a number in 0..255
 */
export function shardOf(key: string, shards: number): number {
  let h = fnv1a(key);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % shards;
}

/** How FlowsRuntime names are formed: `count` shards by `shardOf`, or the names of 0.2 and earlier. */
export type RuntimeSharding = { count: number; legacy?: false } | { count: 32; legacy: true };

const pick = (sharding: RuntimeSharding, key: string): number =>
  sharding.legacy ? fnv1a(key) % 32 : shardOf(key, sharding.count);

/** The FlowsRuntime object of an idempotency key (a delivery id's too). */
export const ledgerObjectName = (key: string, sharding: RuntimeSharding): string =>
  `ledger:${pick(sharding, key)}`;

/** The FlowsRuntime object of a run's journal (`runKey`, e.g. `queue:<queue>:<flow>:<message id>`). */
export const journalObjectName = (runKey: string, sharding: RuntimeSharding): string =>
  `journal:${pick(sharding, runKey)}`;

/**
 * The FlowsRuntime sharding of a deployment: `FLOWS_RUNTIME_SHARDS` from `env` (an integer from 1 to 4096, or
 * `legacy`), else `DEFAULT_SHARDS`. Every reader of the ledger and the journals asks this, so that they agree.
 * Changing it moves keys to other objects: a delivery id remembered under the old count is not found under the new
 * one (see impl-docs/scale.md, "Changing the shard count"). Throws on any other value: silently ignoring a pinned
 * count would break de-duplication.
 * @example runtimeSharding({ FLOWS_RUNTIME_SHARDS: "legacy" }) // { count: 32, legacy: true }
 */
export function runtimeSharding(env: Readonly<Record<string, unknown>> | undefined): RuntimeSharding {
  const value = env?.[SHARDS_VAR];
  if (value === undefined || value === null || value === "") return { count: DEFAULT_SHARDS };
  if (value === LEGACY_SHARDING) return { count: 32, legacy: true };
  const count = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new RangeError(
      `${SHARDS_VAR} must be an integer from 1 to ${MAX_SHARDS} or "${LEGACY_SHARDING}", not ${JSON.stringify(value)}`,
    );
  return { count };
}
