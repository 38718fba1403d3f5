import { childPointer } from "../../load/index.ts";
import { configOf, type FlowCheck, nodeLabel } from "../context.ts";
import { closest, list, outputsText, quote } from "../words.ts";
import { safePorts } from "./kinds.ts";

/** An edge `from` → `to`: node `from` reads (or runs after) node `to`; located where it is written. */
interface Edge {
  to: number;
  pointer: string;
  index?: number;
}

/**
 * Graph rules: references to unknown nodes or ports, `after` naming an unknown node, self-references, and
 * cycles (reported with their path).
 */
export function checkGraph(check: FlowCheck): void {
  const nodes = check.doc.nodes;
  const edges: Edge[][] = nodes.map(() => []);
  const ids = [...check.index.keys()];
  const portsOf = new Map<number, string[]>();
  for (const ref of check.references) {
    const target = check.index.get(ref.node);
    if (target === undefined && check.droppedNodes.has(ref.node)) continue;
    if (target === undefined) {
      const guess = closest(ref.node, ids);
      check.report(
        "FLOW_UNKNOWN_NODE_REF",
        ref.pointer,
        `\`nodes.${ref.node}\` refers to no node of this flow${guess ? `: did you mean ${quote(guess)}?` : ""}`,
        { index: ref.index, hint: `its nodes: ${list(ids)}` },
      );
      continue;
    }
    if (target === ref.from) {
      check.report("FLOW_SELF_REFERENCE", ref.pointer, `${nodeLabel(ref.node)} refers to its own output`, {
        index: ref.index,
        hint: "a node can read only other nodes' outputs; use a second node",
      });
      continue;
    }
    const spec = check.specs[target];
    // A node whose config is invalid has unknown outputs (e.g. a switch's cases): its config error says enough.
    if (ref.port !== undefined && spec && !check.badConfig.has(target)) {
      let ports = portsOf.get(target);
      if (!ports) {
        ports = safePorts(spec, configOf(nodes[target]!.config));
        portsOf.set(target, ports);
      }
      if (!ports.includes(ref.port)) {
        const guess = closest(ref.port, ports);
        check.report(
          "FLOW_UNKNOWN_PORT",
          ref.pointer,
          `${nodeLabel(ref.node, spec.kind)} has no output ${quote(ref.port)}${guess ? `: did you mean ${quote(guess)}?` : ""} ${outputsText(ports)}`,
          { index: ref.index, hint: "read one of its outputs: `nodes.<id>.<output>`" },
        );
      }
    }
    edges[ref.from]!.push({ to: target, pointer: ref.pointer, index: ref.index });
  }
  nodes.forEach((node, i) => {
    node.after?.forEach((name, j) => {
      const pointer = childPointer(`/nodes/${i}`, "after", j);
      const target = check.index.get(name);
      if (target === undefined && check.droppedNodes.has(name)) return;
      if (target === undefined) {
        const guess = closest(name, ids);
        check.report(
          "FLOW_AFTER_UNKNOWN_NODE",
          pointer,
          `${nodeLabel(node.id)} runs after ${quote(name)}, which is not a node of this flow${guess ? `: did you mean ${quote(guess)}?` : ""}`,
          { hint: `its nodes: ${list(ids)}` },
        );
      } else if (target === i) {
        check.report("FLOW_SELF_REFERENCE", pointer, `${nodeLabel(node.id)} cannot run after itself`, {
          hint: "remove it from its own `after` list",
        });
      } else edges[i]!.push({ to: target, pointer });
    });
  });
  reportCycles(check, edges);
}

/** Strongly connected components (iterative Tarjan), in discovery order. */
function components(edges: Edge[][]): number[][] {
  const n = edges.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, e] = top;
      if (e === 0) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (e < edges[v]!.length) {
        top[1]++;
        const w = edges[v]![e]!.to;
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, order[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) out.push(component);
      }
    }
  }
  return out;
}

/** A cycle through `start` inside one component (breadth-first, so it is a shortest one). */
function cycleFrom(start: number, members: Set<number>, edges: Edge[][]): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const { to } of edges[v]!) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return path;
      }
      if (!previous.has(to)) {
        previous.set(to, v);
        queue.push(to);
      }
    }
  }
  return [start];
}

function reportCycles(check: FlowCheck, edges: Edge[][]): void {
  const nodes = check.doc.nodes;
  for (const component of components(edges)) {
    const start = Math.min(...component);
    const path = cycleFrom(start, new Set(component), edges);
    const next = path[1 % path.length]!;
    const edge = edges[start]!.find((e) => e.to === next)!;
    const names = [...path, start].map((i) => nodes[i]!.id).join(" → ");
    check.report("FLOW_CYCLE", edge.pointer, `nodes depend on each other in a cycle: ${names}`, {
      index: edge.index,
      hint: "each node reads the next one's output or runs after it; remove one of these dependencies",
    });
  }
}
