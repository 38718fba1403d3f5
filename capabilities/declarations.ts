import type { KindCatalog } from "../flows/kinds/spec.ts";
import type { CapabilityDeclaration } from "./declaration.ts";
import { DO_DECLARATION } from "./durable-objects/declaration.ts";
import { GITHUB_DECLARATION } from "./github/declaration.ts";
import { GITHUB_WEBHOOK_DECLARATION } from "./github/webhook/declaration.ts";
import { HTTP_DECLARATION } from "./http/declaration.ts";
import { KV_DECLARATION } from "./kv/declaration.ts";
import { QUEUES_DECLARATION } from "./queues/declaration.ts";
import { R2_DECLARATION } from "./r2/declaration.ts";

/**
 * The pure halves only (no run-time code): what the CLI, the build and the packager import. Add a capability's
 * declaration to the list.
 */
export const CAPABILITY_DECLARATIONS: readonly CapabilityDeclaration[] = [
  KV_DECLARATION,
  R2_DECLARATION,
  QUEUES_DECLARATION,
  DO_DECLARATION,
  GITHUB_WEBHOOK_DECLARATION,
  GITHUB_DECLARATION,
  HTTP_DECLARATION,
];

/** Every capability's kind catalog, in order (what `cli/catalog.ts` adds to the built-ins). */
export const CAPABILITY_CATALOGS: readonly KindCatalog[] = CAPABILITY_DECLARATIONS.map((d) => d.kinds);
