/**
 * Flow parameters: `params` declarations and `${{ params.<name> }}` references, substituted by `instantiateFlow`.
 * @example const { document, issues } = instantiateFlow(doc, { secret: "HOOK_SECRET" })
 */
export { type FlowInstance, instantiateFlow, type ParamIssue, type ParamIssueCode } from "./instantiate.ts";
