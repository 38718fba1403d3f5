import { BUILTIN_FLOW_SOURCES } from "../generated/builtin-flow-sources.js";
import type { FlowSource } from "../validate/types.ts";

/**
 * Every built-in flow as a FlowSource (file + text), e.g. to validate them with `validateFlows` and get positions.
 * A separate module from `./index.ts`, so that a Worker bundle does not carry the text.
 */
export function builtinFlowSources(): FlowSource[] {
  return Object.entries(BUILTIN_FLOW_SOURCES).map(([file, text]) => ({ file, text }));
}
