/**
 * Capability plugins: each folder (`kv/`, `r2/`, `queues/`, `durable-objects/`, `github/`, `http/`) has a pure declaration (kind specs, wrangler
 * bindings) and a run-time half (the kinds). This file collects them as plain lists; add a capability by
 * appending to each list.
 * @example
 * import { ALL_CAPABILITY_KINDS } from "flows/capabilities";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS) });
 */
import { createRegistry, type KindRegistry } from "../kernel/index.ts";
import { DO_KINDS } from "./durable-objects/kinds.ts";
import { GITHUB_KINDS } from "./github/kinds.ts";
import { GITHUB_WEBHOOK_KINDS } from "./github/webhook/kinds.ts";
import { HTTP_KINDS } from "./http/kinds.ts";
import { KV_KINDS } from "./kv/kinds.ts";
import { QUEUES_KINDS } from "./queues/kinds.ts";
import { R2_KINDS } from "./r2/kinds.ts";

/** Every capability's kinds, as one registry (without the built-ins). */
export const ALL_CAPABILITY_KINDS: KindRegistry = createRegistry(
  KV_KINDS,
  R2_KINDS,
  QUEUES_KINDS,
  DO_KINDS,
  GITHUB_WEBHOOK_KINDS,
  GITHUB_KINDS,
  HTTP_KINDS,
);

export { CAPABILITY_CODES, type CapabilityCode, capabilityError, platformError } from "./codes.ts";
export {
  type CapabilityDeclaration,
  mergeWrangler,
  type QueueConsumerConfig,
  type WranglerFragment,
} from "./declaration.ts";
export { CAPABILITY_CATALOGS, CAPABILITY_DECLARATIONS } from "./declarations.ts";
export * from "./durable-objects/index.ts";
export * from "./github/index.ts";
export * from "./github/webhook/index.ts";
export * from "./http/index.ts";
export * from "./kv/index.ts";
export * from "./queues/index.ts";
export * from "./r2/index.ts";
