import { BUILTIN_FLOW_DOCUMENTS, HOST_FLOW_DOCUMENTS } from "../generated/builtin-flows.js";
import type { FlowDocument } from "../ir/types.ts";

/**
 * The built-in flows (`flows/builtin/*.yaml`), parsed at build time (`npm run build` writes
 * `flows/generated/builtin-flows.js`), so they load the same way in a Worker and in Node, without a YAML parser.
 * Their text, for validation with positions, is in `./sources.ts`.
 * @example const doc = builtinFlowDocument(GITHUB_WEBHOOK_FLOW_FILE) // a fresh copy, to adapt and serve
 */

/** The GitHub webhook flow: verify, parse, de-duplicate, route (served once per webhook path). */
export const GITHUB_WEBHOOK_FLOW_FILE = "flows/builtin/github-webhook.yaml";
/** Its consumer half with `ack: queue`: runs the routed flows for each queued delivery. */
export const GITHUB_WEBHOOK_QUEUE_FLOW_FILE = "flows/builtin/github-webhook-queue.yaml";

/**
 * A fresh copy of a built-in flow's document (parsed at build time; callers may change their copy). Throws a
 * TypeError for an unknown file.
 */
export function builtinFlowDocument(file: string): FlowDocument {
  return copyOf(BUILTIN_FLOW_DOCUMENTS, file);
}

/**
 * `builtinFlowDocument` for the flows a host serves (`flows/builtin/*.yaml`: the webhook flows), which bundles none
 * of the apps (`flows/builtin/apps/`) into a Worker. Throws a TypeError for another file.
 */
export function hostFlowDocument(file: string): FlowDocument {
  return copyOf(HOST_FLOW_DOCUMENTS, file);
}

function copyOf(documents: Readonly<Record<string, FlowDocument>>, file: string): FlowDocument {
  const doc = documents[file];
  if (doc === undefined) {
    const known = Object.keys(documents).join(", ");
    throw new TypeError(`no built-in flow ${file} (known: ${known}); run npm run build`);
  }
  return structuredClone(doc);
}
