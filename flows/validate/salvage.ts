import type { ValidationCode } from "../diagnostics/index.ts";
import { flowSchema, validateFlowDocument } from "../generated/validators.js";
import type { FlowDocument } from "../ir/types.ts";
import { parsePointer, toPointer } from "../load/pointer.ts";
import type { PartialView } from "./context.ts";
import { explainSchemaErrors, type SchemaFinding } from "./schema-errors.ts";

/**
 * The well-formed part of a document that does not match the schema, so that the semantic rules can still check
 * it and report in one round what a user would otherwise see only after fixing the schema errors. What an error
 * is in goes: a node or trigger (whole), a binding (whole), a node or trigger field that is not needed to read
 * the rest (`retry`, `timeout`, `after`, `response`…), `defaults`, an unknown top-level field. An error at the
 * root, in `id`, `flows`, `output`, or in the `nodes`/`triggers`/`bindings` containers themselves, leaves
 * nothing to check.
 */
export interface WellFormedPart {
  doc: FlowDocument;
  /** For each node of `doc`, its index in the file (likewise triggers), to locate diagnostics. */
  nodeIndex: number[];
  triggerIndex: number[];
  /** Ids of the nodes left out: a reference to one is not reported as unknown. */
  droppedNodes: Set<string>;
  /** Codes the rules must not report on this part, because what was left out could make them false. */
  suppressed: Set<ValidationCode>;
}

/** Node fields whose loss would make the node's other checks wrong (kind config, inputs): the node goes. */
const NODE_ESSENTIALS = new Set(["id", "kind", "inputs", "config"]);
/** Checks that read every binding, every trigger or every node: not trustworthy when one was left out. */
const NEEDS_ALL_BINDINGS: ValidationCode[] = [
  "FLOW_BINDING_MISSING",
  "FLOW_BINDING_WRONG_TYPE",
  "FLOW_BINDING_AMBIGUOUS",
  "FLOW_QUEUE_BINDING_MISSING",
  "FLOW_VAR_UNKNOWN",
];
const NEEDS_ALL_TRIGGERS: ValidationCode[] = ["FLOW_DUPLICATE_TRIGGER_ID"];
const NEEDS_ALL_NODES: ValidationCode[] = [
  "FLOW_OUTPUT_MISSING",
  "FLOW_OUTPUT_AMBIGUOUS",
  "FLOW_OUTPUT_MAY_BE_SKIPPED",
];
const MAX_ROUNDS = 8;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === "object" && !Array.isArray(v);

/** Leaves out what the schema error at `segments` (indexes of the file) is in; false when nothing can be kept. */
function leaveOut(
  work: Raw,
  removed: { nodes: Set<number>; triggers: Set<number> },
  segments: string[],
  part: WellFormedPart,
): boolean {
  const [top, second, third] = segments;
  if (top === undefined) return false;
  if (top === "nodes" || top === "triggers") {
    const list = work[top];
    const i = Number(second);
    if (!Array.isArray(list) || second === undefined || !Number.isInteger(i) || i < 0 || i >= list.length)
      return false;
    const item = list[i];
    if (third === undefined || !isObject(item) || (top === "nodes" && NODE_ESSENTIALS.has(third))) {
      if (top === "nodes") {
        removed.nodes.add(i);
        if (isObject(item) && typeof item.id === "string") part.droppedNodes.add(item.id);
        for (const code of NEEDS_ALL_NODES) part.suppressed.add(code);
      } else {
        removed.triggers.add(i);
        for (const code of NEEDS_ALL_TRIGGERS) part.suppressed.add(code);
      }
    } else delete item[third];
    return true;
  }
  if (top === "bindings") {
    if (second === undefined || !isObject(work.bindings)) return false;
    delete work.bindings[second];
    for (const code of NEEDS_ALL_BINDINGS) part.suppressed.add(code);
    return true;
  }
  if (top === "defaults") {
    if (second !== undefined && isObject(work.defaults)) delete work.defaults[second];
    else delete work.defaults;
    return true;
  }
  if (top === "version") {
    work.version = "0.0.0";
    return true;
  }
  if (top === "id" || top === "flows" || top === "output") return false;
  delete work[top]; // description, or a field the schema does not know
  return true;
}

/** The document without what was left out (nodes and triggers removed, the others deleted in place). */
function candidate(
  work: Raw,
  removed: { nodes: Set<number>; triggers: Set<number> },
  part: WellFormedPart,
): Raw {
  const keep = (list: unknown, gone: Set<number>, index: number[]): unknown => {
    if (!Array.isArray(list)) return list;
    index.length = 0;
    return list.filter((_, i) => {
      if (gone.has(i)) return false;
      index.push(i);
      return true;
    });
  };
  return {
    ...work,
    nodes: keep(work.nodes, removed.nodes, part.nodeIndex),
    triggers: keep(work.triggers, removed.triggers, part.triggerIndex),
  };
}

/** `/nodes/1/x` of the candidate → the same place in the file. */
function toFile(pointer: string, part: WellFormedPart): string[] {
  const segments = parsePointer(pointer);
  const index =
    segments[0] === "nodes" ? part.nodeIndex : segments[0] === "triggers" ? part.triggerIndex : undefined;
  if (index && segments[1] !== undefined) {
    const original = index[Number(segments[1])];
    if (original !== undefined) segments[1] = String(original);
  }
  return segments;
}

/**
 * The well-formed part of a document with schema errors (see WellFormedPart), or undefined when none can be
 * checked. Never changes `document`.
 */
export function wellFormedPart(
  document: unknown,
  findingsOfDocument: readonly SchemaFinding[],
): WellFormedPart | undefined {
  if (!isObject(document)) return undefined;
  const work = structuredClone(document);
  const removed = { nodes: new Set<number>(), triggers: new Set<number>() };
  const part: WellFormedPart = {
    doc: undefined as unknown as FlowDocument,
    nodeIndex: [],
    triggerIndex: [],
    droppedNodes: new Set(),
    suppressed: new Set(),
  };
  candidate(work, removed, part); // the indexes of the whole document
  // The first round reads the findings the schema check already made on the whole document.
  let findings = findingsOfDocument;
  for (let round = 0; round < MAX_ROUNDS && findings.length > 0; round++) {
    // The deepest first: deleting a field before the item that holds it keeps the other indexes meaningful.
    const places = [...new Set(findings.map((f) => toPointer(toFile(f.pointer, part))))].sort(
      (a, b) => b.length - a.length,
    );
    for (const place of places) if (!leaveOut(work, removed, parsePointer(place), part)) return undefined;
    const next = candidate(work, removed, part);
    if (validateFlowDocument(next)) {
      part.doc = next as unknown as FlowDocument;
      return part;
    }
    findings = explainSchemaErrors(validateFlowDocument.errors ?? [], flowSchema, next);
  }
  return undefined;
}

/** How the rules checking a well-formed part report into the file. */
export function partialView(part: WellFormedPart): PartialView {
  return {
    toFile: (pointer) => toPointer(toFile(pointer, part)),
    suppressed: part.suppressed,
    droppedNodes: part.droppedNodes,
  };
}
