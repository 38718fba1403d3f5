import type { KindCatalog } from "../flows/kinds/spec.ts";
import { CHANGES_DECLARATION } from "./changes/declaration.ts";
import type { Capability } from "./define.ts";
import { DO_DECLARATION } from "./durable-objects/declaration.ts";
import { GITHUB_DECLARATION } from "./github/declaration.ts";
import { GITHUB_WEBHOOK_DECLARATION } from "./github/webhook/declaration.ts";
import { HTTP_DECLARATION } from "./http/declaration.ts";
import { KV_DECLARATION } from "./kv/declaration.ts";
import { QUEUES_DECLARATION } from "./queues/declaration.ts";
import { R2_DECLARATION } from "./r2/declaration.ts";
import { type CapabilityRegistry, createCapabilityRegistry } from "./registry.ts";
import { WORKFLOWS_DECLARATION } from "./workflows/declaration.ts";

/**
 * The built-in capabilities, each made by `defineCapability` exactly as a third-party package makes its own:
 * pure halves only (no run-time code), what the CLI, the build and the packager import.
 */
export const BUILTIN_CAPABILITIES = [
  KV_DECLARATION,
  R2_DECLARATION,
  QUEUES_DECLARATION,
  DO_DECLARATION,
  GITHUB_WEBHOOK_DECLARATION,
  GITHUB_DECLARATION,
  HTTP_DECLARATION,
  CHANGES_DECLARATION,
  WORKFLOWS_DECLARATION,
] as const;

/** The error codes of the built-in capabilities. */
export type BuiltinCapabilityCode = (typeof BUILTIN_CAPABILITIES)[number] extends infer T
  ? T extends Capability<infer C>
    ? C
    : never
  : never;

/** The built-in capabilities as one registry (kinds, codes); a project's registry adds its packages to these. */
export const BUILTIN_CAPABILITY_REGISTRY: CapabilityRegistry = createCapabilityRegistry(BUILTIN_CAPABILITIES);

/** The built-in capabilities, as a plain list (what the packager reads). */
export const CAPABILITY_DECLARATIONS: readonly Capability[] = BUILTIN_CAPABILITY_REGISTRY.capabilities;

/** Every built-in capability's kind catalog, in order (what `cli/catalog.ts` adds to the built-in kinds). */
export const CAPABILITY_CATALOGS: readonly KindCatalog[] = CAPABILITY_DECLARATIONS.map((d) => d.kinds);
