import type { KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { defineCapability } from "../define.ts";

/**
 * Changes: the pure half. `changes.plan` computes the change plan between two sets of flow files
 * (`flows/changes`, what `flows plan` prints) inside a run, e.g. for a pull-request comment from file contents
 * fetched through the GitHub REST kinds. No binding, no wrangler configuration.
 */

export const KIND_CHANGES_PLAN = "changes.plan";

/** Most files per side, and bytes per file (GitHub's contents API returns files up to 1 MB). */
export const CHANGES_LIMITS = Object.freeze({ maxFiles: 300, maxFileBytes: 1024 * 1024 });

const files = {
  required: true,
  description:
    "A list of flow files: `{ path, text }`, or GitHub content objects `{ path, content, encoding: base64 }` (the body of `GET /repos/{owner}/{repo}/contents/{path}`); null entries are skipped. Files without a top-level `flows:` key are left out.",
};

const plan: NodeKindSpec = {
  kind: KIND_CHANGES_PLAN,
  description:
    "The change plan from input `before` to input `after` (two lists of flow files), with the built-in kinds' effects: `plan` (the JSON ChangePlan of impl-docs/plan.md), `markdown` (for a pull-request comment; `config.title`, `config.maxLength`), `text`, `status` (unchanged, changed, breaking), `changed` and `breaking` (booleans), `files` (how many flow files each side had). Pure and deterministic.",
  effect: "pure",
  determinism: "strict",
  inputs: { before: files, after: files },
  outputs: { plan: {}, markdown: {}, text: {}, status: {}, changed: {}, breaking: {}, files: {} },
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      title: {
        type: "string",
        minLength: 1,
        maxLength: 200,
        description: "Heading of the Markdown (default Flow plan).",
      },
      maxLength: {
        type: "integer",
        minimum: 1000,
        maximum: 65536,
        description:
          "Longest Markdown returned (default 60000; GitHub refuses comments over 65536 characters).",
      },
    },
  },
};

/** The changes kinds' specs, keyed by kind name. */
export const CHANGES_KIND_SPECS: KindCatalog = Object.freeze({ [KIND_CHANGES_PLAN]: Object.freeze(plan) });

/** The changes capability's declaration: no binding, no wrangler configuration. */
export const CHANGES_DECLARATION = defineCapability({
  name: "changes",
  runtime: { module: "flows-runtime/capabilities/changes/kinds", export: "CHANGES_KINDS" },
  kinds: CHANGES_KIND_SPECS,
  wrangler: () => ({}),
});
