import { conditionKind, switchKind } from "./branch.ts";
import { delayKind } from "./delay.ts";
import { failKind } from "./fail.ts";
import { logKind } from "./log.ts";
import { mapKind } from "./map.ts";
import { mergeKind } from "./merge.ts";
import { createRegistry } from "./registry.ts";
import { respondKind } from "./respond.ts";
import { sleepKind } from "./sleep.ts";
import { subflowKind } from "./subflow.ts";
import { transformKind } from "./transform.ts";
import { waitKind } from "./wait.ts";

/** The built-in node kinds, keyed by name; their specs are `BUILTIN_KIND_SPECS`. */
export const BUILTIN_KINDS = createRegistry(
  transformKind,
  conditionKind,
  switchKind,
  mapKind,
  mergeKind,
  subflowKind,
  delayKind,
  sleepKind,
  waitKind,
  logKind,
  failKind,
  respondKind,
);
