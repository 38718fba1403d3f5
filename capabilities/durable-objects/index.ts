/**
 * Durable Objects capability: kinds `do.get`, `do.put`, `do.delete`, `do.increment`, `do.call` on a
 * `durableObject` binding (class `FlowsState`), and the runtime's own object `FlowsRuntime` (run journal
 * and idempotency ledger) with its kernel adapters.
 * @example
 * import { DO_KINDS, FlowsRuntime, FlowsState } from "flows/capabilities/durable-objects";
 * export { FlowsRuntime, FlowsState };
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, DO_KINDS) });
 */
export { decodeValue, encodeValue } from "./codec.ts";
export {
  DO_DECLARATION,
  DO_KIND_SPECS,
  DO_LIMITS,
  type DurableObjectsFragment,
  KIND_DO_CALL,
  KIND_DO_DELETE,
  KIND_DO_GET,
  KIND_DO_INCREMENT,
  KIND_DO_PUT,
  RUNTIME_BINDING,
  RUNTIME_CLASS,
  runtimeWrangler,
  STATE_CLASS,
} from "./declaration.ts";
export { DO_KINDS, type StateStub } from "./kinds.ts";
export { type Migrations, migrate } from "./migrations.ts";
export {
  type DurableLedger,
  durableJournal,
  durableLedger,
  isNamespace,
  type JournalOptions,
  type RuntimeNamespace,
  type RuntimeStub,
  type ShardingOptions,
} from "./runtime-client.ts";
export {
  DEFAULT_SHARDS,
  journalObjectName,
  LEGACY_SHARDING,
  ledgerObjectName,
  MAX_SHARDS,
  type RuntimeSharding,
  runtimeSharding,
  SHARDS_VAR,
  shardOf,
} from "./shards.ts";
// The Durable Object classes import `cloudflare:workers`, which only a Worker has: they are exported from
// `./objects.ts` (and `hosts/workers/objects.ts`), so that this module also loads in Node (CLI, Node host).
