/**
 * `flows-runtime/capabilities`: every built-in capability's kinds as one registry, and what a capability of your own
 * is made with (`defineCapability`, `mergeWrangler`). Each capability (`kv/`, `r2/`, `queues/`, `durable-objects/`,
 * `github/`, `http/`, `changes/`) has its own entry, `flows-runtime/capabilities/<name>`.
 * @example
 * import { ALL_CAPABILITY_KINDS } from "flows-runtime/capabilities";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS) });
 */
import { createRegistry, type KindRegistry } from "../kernel/index.ts";
import { CHANGES_KINDS } from "./changes/kinds.ts";
import { DO_KINDS } from "./durable-objects/kinds.ts";
import { GITHUB_KINDS } from "./github/kinds.ts";
import { GITHUB_WEBHOOK_KINDS } from "./github/webhook/kinds.ts";
import { HTTP_KINDS } from "./http/kinds.ts";
import { KV_KINDS } from "./kv/kinds.ts";
import { QUEUES_KINDS } from "./queues/kinds.ts";
import { R2_KINDS } from "./r2/kinds.ts";
import { WORKFLOWS_KINDS } from "./workflows/kinds.ts";

/** Every capability's kinds, as one registry (without the built-ins). */
export const ALL_CAPABILITY_KINDS: KindRegistry = createRegistry(
  KV_KINDS,
  R2_KINDS,
  QUEUES_KINDS,
  DO_KINDS,
  GITHUB_WEBHOOK_KINDS,
  GITHUB_KINDS,
  HTTP_KINDS,
  CHANGES_KINDS,
  WORKFLOWS_KINDS,
);

export {
  type CapabilityDeclaration,
  mergeWrangler,
  type QueueConsumerConfig,
  type WranglerFragment,
} from "./declaration.ts";
export {
  type Capability,
  type CapabilityCodeSpec,
  type CapabilityInput,
  defineCapability,
} from "./define.ts";
// Each capability's kinds, specs and kind names: `flows-runtime/capabilities/<name>`.
