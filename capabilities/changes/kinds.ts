import {
  type FlowSet,
  flowSet,
  type PlanProblem,
  planChanges,
  renderChangePlanMarkdown,
  renderChangePlanText,
} from "../../flows/changes/index.ts";
import { looksLikeFlow } from "../../flows/load/detect.ts";
import type { FlowSource } from "../../flows/validate/types.ts";
import { createRegistry, type KindRegistry, type NodeContext, type NodeKind } from "../../kernel/index.ts";
import { BUILTIN_KIND_SPECS } from "../../kernel/kinds/specs.ts";
import { BUILTIN_CAPABILITY_REGISTRY } from "../declarations.ts";
import { inputError } from "../inputs.ts";
import { CHANGES_KIND_SPECS, CHANGES_LIMITS, KIND_CHANGES_PLAN } from "./declaration.ts";

/**
 * `changes.plan`: the change plan of two lists of flow files, computed in the run (web standards only: it runs
 * in a Worker). Effects and determinism come from the built-in kinds and capabilities; a kind of a third-party
 * package counts as unknown (no effect).
 */

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

function decodeBase64(text: string): string {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

/**
 * The flow files of one input (`{ path, text }` or a GitHub content object), flows only, and the files whose
 * content did not come (GitHub sends none for files over 1 MB) as problems of the plan.
 */
function filesOf(ctx: NodeContext, name: "before" | "after"): FlowSet {
  const value = ctx.inputs[name];
  if (!Array.isArray(value)) throw inputError(ctx, name, "must be a list of files ({ path, text })");
  if (value.length > CHANGES_LIMITS.maxFiles)
    throw inputError(ctx, name, `has ${value.length} files; the limit is ${CHANGES_LIMITS.maxFiles}`);
  const sources: FlowSource[] = [];
  const problems: PlanProblem[] = [];
  for (const [i, entry] of value.entries()) {
    if (entry === null || entry === undefined) continue;
    const file = entry as { path?: unknown; text?: unknown; content?: unknown; encoding?: unknown };
    if (typeof file.path !== "string" || file.path === "")
      throw inputError(ctx, name, `entry ${i} has no \`path\``);
    const unreadable = (message: string): void => {
      problems.push({ side: name, file: file.path as string, code: "PLAN_FILE_UNREADABLE", message });
    };
    let text: string;
    if (typeof file.text === "string") text = file.text;
    else if (typeof file.content === "string" && file.encoding === "base64") {
      try {
        text = decodeBase64(file.content);
      } catch {
        unreadable("its `content` is not base64");
        continue;
      }
    } else if (file.text !== null && typeof file.text === "object")
      text = JSON.stringify(file.text); // a JSON flow that a client parsed on the way
    else {
      unreadable(`no content came with it (encoding ${JSON.stringify(file.encoding ?? null)}: too large?)`);
      continue;
    }
    const size = encoder.encode(text).byteLength;
    if (size > CHANGES_LIMITS.maxFileBytes)
      unreadable(`it is ${size} bytes; the limit is ${CHANGES_LIMITS.maxFileBytes}`);
    else if (looksLikeFlow(file.path, text)) sources.push({ file: file.path, text });
  }
  const set = flowSet(sources, name);
  return { flows: set.flows, problems: [...problems, ...set.problems] };
}

let catalog: ReturnType<typeof mergedCatalog> | undefined;
const mergedCatalog = () => Object.freeze({ ...BUILTIN_KIND_SPECS, ...BUILTIN_CAPABILITY_REGISTRY.catalog });

export const changesPlanKind: NodeKind = {
  spec: CHANGES_KIND_SPECS[KIND_CHANGES_PLAN]!,
  run: (ctx) => {
    const before = filesOf(ctx, "before");
    const after = filesOf(ctx, "after");
    catalog ??= mergedCatalog();
    const plan = planChanges(before, after, { catalog });
    const title = typeof ctx.config.title === "string" ? ctx.config.title : undefined;
    const maxLength = typeof ctx.config.maxLength === "number" ? ctx.config.maxLength : undefined;
    return {
      plan,
      markdown: renderChangePlanMarkdown(plan, {
        ...(title === undefined ? {} : { title }),
        ...(maxLength === undefined ? {} : { maxLength }),
      }),
      text: renderChangePlanText(plan),
      status: plan.status,
      changed: plan.status !== "unchanged" || plan.problems.length > 0,
      breaking: plan.status === "breaking",
      files: { before: before.flows.length, after: after.flows.length },
    };
  },
};

/** The changes capability's kinds. */
export const CHANGES_KINDS: KindRegistry = createRegistry({ [KIND_CHANGES_PLAN]: changesPlanKind });
