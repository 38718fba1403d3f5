import type { KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { WORKFLOWS_CODES } from "../codes.ts";
import { defineCapability } from "../define.ts";

/**
 * Workflows, the engine of durable flows: the pure half. The Workflow binding and class, the wrangler entry the
 * packager adds for a Worker with a durable flow (`cli/package`), and `durable.event`, the kind by which one flow
 * sends an event to another's waiting run. No I/O, no `cloudflare:workers`: it loads in Node too.
 */

export const KIND_DURABLE_EVENT = "durable.event";

/** The Workflow binding of a Worker's durable flows (one Workflow class runs them all, by flow id). */
export const WORKFLOW_BINDING = "FLOWS_WORKFLOW";
/** The class behind it, exported by `flows-runtime/hosts/workers/objects`. */
export const WORKFLOW_CLASS = "FlowsWorkflow";

/** A Workflow's name: 1–64 letters, digits, `_` and `-`, not starting with `-` (wrangler's rule). */
const WORKFLOW_NAME_LENGTH = 64;
const SUFFIX = "-flows";

/** The Workflow's name for a Worker: `<worker>-flows`, cut to fit. */
export function workflowName(workerName: string): string {
  const base = workerName.replace(/[^a-zA-Z0-9_-]/g, "-").replace(/^-+/, "") || "worker";
  return `${base.slice(0, WORKFLOW_NAME_LENGTH - SUFFIX.length)}${SUFFIX}`;
}

/** The `workflows` entry of a Worker whose flows include a durable one. */
export function workflowsWrangler(workerName: string): {
  workflows: { name: string; binding: string; class_name: string }[];
} {
  return {
    workflows: [{ name: workflowName(workerName), binding: WORKFLOW_BINDING, class_name: WORKFLOW_CLASS }],
  };
}

const durableEvent: NodeKindSpec = {
  kind: KIND_DURABLE_EVENT,
  description:
    "Sends an event to a durable run of this Worker (a run of a `durable: true` flow, by its run id): input `runId`, input `type` (at most 100 letters, digits, `_`, `-`) and input `payload` (JSON, at most 1 MiB), which a `wait` for that type receives as `out`. `out` is `{ runId, type }`. Fails with DURABLE_RUN_NOT_FOUND when there is no such run, or it has ended.",
  effect: "external",
  determinism: "best_effort",
  inputs: { runId: { required: true }, type: { required: true }, payload: {} },
  outputs: { out: {} },
  target: "inputs.runId",
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  defaultTimeout: "10s",
};

/** The Workflows kinds' specs, keyed by kind name. */
export const WORKFLOWS_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_DURABLE_EVENT]: Object.freeze(durableEvent),
});

/**
 * The capability's declaration. Its wrangler entry is the packager's (`workflowsWrangler`, named after the Worker),
 * added when a flow is durable or uses `durable.event`.
 */
export const WORKFLOWS_DECLARATION = defineCapability({
  name: "workflows",
  codes: WORKFLOWS_CODES,
  runtime: { module: "flows-runtime/capabilities/workflows/kinds", export: "WORKFLOWS_KINDS" },
  kinds: WORKFLOWS_KIND_SPECS,
  wrangler: () => ({}),
});
