/**
 * `flows/changes`: the change plan between two versions of a set of flows (`flows plan`, the `changes.plan`
 * node kind). Web standards only: it runs in Node and in a Worker. Not the kernel's ExecutionPlan: a change plan
 * compares documents; it runs nothing.
 * @example
 * const plan = planSources(beforeFiles, afterFiles, { catalog });
 * if (plan.status === "breaking") console.log(renderChangePlanText(plan));
 */
export { type ChangePlanOptions, planChanges, planSources } from "./plan.ts";
export { type MarkdownOptions, renderChangePlanMarkdown } from "./render-markdown.ts";
export { PLAIN_STYLE, renderChangePlanText, type TextStyle } from "./render-text.ts";
export { type FlowInput, type FlowSet, flowSet } from "./sources.ts";
export * from "./types.ts";
