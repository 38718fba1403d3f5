import type { FlowGraph } from "./model.ts";

/** Where a box goes: its layer (column) and its position in the layer (row). */
export interface Placement {
  layer: number;
  row: number;
}

export interface Layout {
  /** Every vertex's place, by key. */
  places: Map<string, Placement>;
  /** Per edge (same order as `graph.edges`), the places its line passes through in the layers it spans. */
  bends: Placement[][];
  /** Rows used per layer (vertices and bends). */
  rows: number[];
}

/** Sweeps of the barycentre heuristic (alternately down and up); a few are enough for flows of this size. */
const SWEEPS = 6;

/** Longest path from a vertex with no incoming edge, in topological order (the plan is acyclic). */
function longestPathLayers(graph: FlowGraph): Map<string, number> {
  const keys = graph.vertices.map((v) => v.key);
  const preds = new Map<string, string[]>(keys.map((k) => [k, []]));
  const succs = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (const e of graph.edges) {
    if (e.from === e.to) continue;
    preds.get(e.to)?.push(e.from);
    succs.get(e.from)?.push(e.to);
  }
  const layer = new Map<string, number>();
  const remaining = new Map(keys.map((k) => [k, preds.get(k)!.length]));
  const queue = keys.filter((k) => remaining.get(k) === 0);
  while (queue.length > 0) {
    const key = queue.shift()!;
    layer.set(key, Math.max(0, ...preds.get(key)!.map((p) => (layer.get(p) ?? 0) + 1)));
    for (const next of succs.get(key)!) {
      const left = remaining.get(next)! - 1;
      remaining.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  for (const key of keys) if (!layer.has(key)) layer.set(key, 0);
  return layer;
}

/**
 * A layered (Sugiyama-style) layout: each vertex's layer is the longest path to it from a vertex with no
 * incoming edge (triggers first); an edge that spans several layers gets a bend point in each layer between,
 * so that it is routed around boxes, not through them; then the rows of each layer are ordered by the mean row
 * of their neighbours in the previous layer (and, sweeping back, the next one), which removes most crossings.
 * Deterministic: ties keep the order of the flow file.
 * @example const { places } = layeredLayout(graph); places.get("node:fetch") // { layer: 1, row: 0 }
 */
export function layeredLayout(graph: FlowGraph): Layout {
  const layerOf = longestPathLayers(graph);
  // Items of the ordering: vertices, then one bend per edge and intermediate layer.
  const items: { key: string; layer: number }[] = graph.vertices.map((v) => ({
    key: v.key,
    layer: layerOf.get(v.key)!,
  }));
  const preds = new Map<string, string[]>(items.map((i) => [i.key, []]));
  const succs = new Map<string, string[]>(items.map((i) => [i.key, []]));
  const link = (a: string, b: string): void => {
    succs.get(a)!.push(b);
    preds.get(b)!.push(a);
  };
  const bendKeys: string[][] = graph.edges.map((e, index) => {
    const from = layerOf.get(e.from);
    const to = layerOf.get(e.to);
    if (from === undefined || to === undefined || to <= from) return [];
    const chain: string[] = [];
    for (let l = from + 1; l < to; l++) {
      const key = `bend:${index}:${l}`;
      items.push({ key, layer: l });
      preds.set(key, []);
      succs.set(key, []);
      chain.push(key);
    }
    [e.from, ...chain, e.to].reduce((a, b) => {
      link(a, b);
      return b;
    });
    return chain;
  });
  const order = new Map(items.map((item, i) => [item.key, i]));
  const depth = Math.max(0, ...items.map((i) => i.layer));
  const layers: string[][] = Array.from({ length: depth + 1 }, () => []);
  for (const item of items) layers[item.layer]!.push(item.key);
  const row = new Map<string, number>();
  const number = (list: string[]): void => {
    list.forEach((k, i) => {
      row.set(k, i);
    });
  };
  layers.forEach(number);
  const sortBy = (list: string[], neighbours: Map<string, string[]>): void => {
    const score = new Map(
      list.map((k) => {
        const rows = neighbours.get(k)!.map((n) => row.get(n)!);
        return [k, rows.length === 0 ? row.get(k)! : rows.reduce((a, b) => a + b, 0) / rows.length];
      }),
    );
    list.sort((a, b) => score.get(a)! - score.get(b)! || order.get(a)! - order.get(b)!);
    number(list);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l <= depth; l++) sortBy(layers[l]!, preds);
    else for (let l = depth - 1; l >= 0; l--) sortBy(layers[l]!, succs);
  }
  const place = (key: string): Placement => ({
    layer: items[order.get(key)!]!.layer,
    row: row.get(key)!,
  });
  return {
    places: new Map(graph.vertices.map((v) => [v.key, place(v.key)])),
    bends: bendKeys.map((chain) => chain.map(place)),
    rows: layers.map((l) => l.length),
  };
}

/**
 * Pairs of line segments between two adjacent layers that cross (edges split at their bends), the measure the
 * ordering reduces.
 */
export function crossings(graph: FlowGraph, layout: Layout): number {
  const segments: { a: Placement; b: Placement }[] = [];
  graph.edges.forEach((e, i) => {
    const points = [layout.places.get(e.from)!, ...layout.bends[i]!, layout.places.get(e.to)!];
    for (let p = 1; p < points.length; p++) {
      const a = points[p - 1]!;
      const b = points[p]!;
      if (b.layer === a.layer + 1) segments.push({ a, b });
    }
  });
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    for (let j = i + 1; j < segments.length; j++) {
      const s = segments[i]!;
      const t = segments[j]!;
      if (s.a.layer === t.a.layer && (s.a.row - t.a.row) * (s.b.row - t.b.row) < 0) count++;
    }
  }
  return count;
}
