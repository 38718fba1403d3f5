import type { NodeReference } from "../flows/expr/index.ts";
import { plainReferencePath } from "../flows/expr/reference.ts";
import type { FlowDocument } from "../flows/ir/types.ts";
import { KIND_RESPOND } from "./kinds/specs.ts";
import type { CompiledStep } from "./plan-step.ts";

/**
 * Which stream ports a run may hand over untouched (`stream.ts` `handOff`) instead of pumping them into a bounded
 * ChunkStream: a port the kind declares as platform bytes (`bytes: true`: an R2 body, a fetch body) whose stream
 * has exactly one reader, which reads it once (references to the node's other ports do not count). That reader is
 * the host, when the port is `out` of the flow's `output` node and nothing else reads it, or a `respond` node whose
 * `body` is exactly `${{ nodes.<id>.<port> }}` and that only the host reads (nothing refers to it; it never
 * retries). Anything else (a second reference, a
 * reference inside an expression, a `map` template, a node that may retry, a listener to the run's chunk events,
 * which the kernel checks per run) keeps the ChunkStream, which replays and serves several readers.
 * @example handOffPorts(doc, steps, references, [1]) // [["out"], []]: r2.get's body straight to the response
 */
export function handOffPorts(
  doc: FlowDocument,
  steps: readonly CompiledStep[],
  references: readonly (readonly NodeReference[])[],
  outputCandidates: readonly number[],
): readonly (readonly string[])[] {
  const readers = new Map<string, { node: number; ref: NodeReference }[]>();
  references.forEach((refs, node) => {
    for (const ref of refs) {
      const list = readers.get(ref.node) ?? [];
      list.push({ node, ref });
      readers.set(ref.node, list);
    }
  });
  const hostReads = (node: number): boolean =>
    outputCandidates.includes(node) && (readers.get(doc.nodes[node]!.id)?.length ?? 0) === 0;
  return doc.nodes.map((node, index) => {
    const outputs = steps[index]!.kind.spec.outputs;
    if (typeof outputs === "function") return [];
    return Object.keys(outputs).filter((port) => {
      if (outputs[port]!.bytes !== true) return false;
      // Readers of the port: references to it, or to the whole node.
      const refs = (readers.get(node.id) ?? []).filter(
        (r) => r.ref.port === port || r.ref.port === undefined,
      );
      if (refs.length === 0) return port === "out" && doc.output === node.id && hostReads(index);
      if (refs.length !== 1 || (port === "out" && outputCandidates.includes(index))) return false;
      const reader = refs[0]!.node;
      const readerDoc = doc.nodes[reader]!;
      return (
        readerDoc.kind === KIND_RESPOND &&
        hostReads(reader) &&
        steps[reader]!.retry.attempts === 1 &&
        isPlainReference(readerDoc.inputs?.body, node.id, port)
      );
    });
  });
}

/** True when `value` is exactly `${{ nodes.<node>.<port> }}`: the stream itself, not something made of it. */
function isPlainReference(value: unknown, node: string, port: string): boolean {
  if (typeof value !== "string") return false;
  const inner = /^\$\{\{\s*([\s\S]*?)\s*\}\}$/.exec(value)?.[1];
  const path = inner === undefined ? undefined : plainReferencePath(inner);
  return path?.length === 3 && path[0] === "nodes" && path[1] === node && path[2] === port;
}
