/**
 * Durable flows' pure half: the Workflow binding and class, and the wrangler entry the packager adds
 * (`cli/package`). No I/O, no `cloudflare:workers`: it loads in Node too.
 */

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
