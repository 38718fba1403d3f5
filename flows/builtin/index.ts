import { BUILTIN_FLOW_SOURCES } from "../generated/builtin-flows.js";
import type { FlowDocument } from "../ir/types.ts";
import { loadFlowSource } from "../load/index.ts";
import type { FlowSource } from "../validate/types.ts";

/**
 * The built-in flows (`flows/builtin/*.yaml`), embedded as text at build time (`npm run build` writes
 * `flows/generated/builtin-flows.js`), so they load the same way in a Worker and in Node.
 * @example const doc = builtinFlowDocument(GITHUB_WEBHOOK_FLOW_FILE) // a fresh copy, to adapt and serve
 */

/** The GitHub webhook flow: verify, parse, de-duplicate, route (served once per webhook path). */
export const GITHUB_WEBHOOK_FLOW_FILE = "flows/builtin/github-webhook.yaml";
/** Its consumer half with `ack: queue`: runs the routed flows for each queued delivery. */
export const GITHUB_WEBHOOK_QUEUE_FLOW_FILE = "flows/builtin/github-webhook-queue.yaml";

/** Every built-in flow as a FlowSource (file + text), e.g. to validate them with `validateFlows`. */
export function builtinFlowSources(): FlowSource[] {
  return Object.entries(BUILTIN_FLOW_SOURCES).map(([file, text]) => ({ file, text }));
}

const parsed = new Map<string, FlowDocument>();

/**
 * A fresh copy of a built-in flow's document (parsed once, then cloned: callers may change their copy). Throws
 * a TypeError for an unknown file or one that does not load (a build problem, caught by the tests).
 */
export function builtinFlowDocument(file: string): FlowDocument {
  let doc = parsed.get(file);
  if (!doc) {
    const text = BUILTIN_FLOW_SOURCES[file];
    if (text === undefined) {
      const known = Object.keys(BUILTIN_FLOW_SOURCES).join(", ");
      throw new TypeError(`no built-in flow ${file} (known: ${known}); run npm run build`);
    }
    const loaded = loadFlowSource(text, file);
    if (loaded.document === undefined) {
      throw new TypeError(`built-in flow ${file} does not load: ${loaded.diagnostics[0]?.message ?? "?"}`);
    }
    doc = loaded.document as FlowDocument;
    parsed.set(file, doc);
  }
  return structuredClone(doc);
}
