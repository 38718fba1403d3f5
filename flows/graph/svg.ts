import type { Effect } from "../ir/types.ts";
import { layeredLayout, type Placement } from "./layout.ts";
import { EFFECT_COLORS, TRIGGER_COLORS } from "./mermaid.ts";
import type { FlowGraph } from "./model.ts";

const BOX_H = 44;
const GAP_X = 70;
const GAP_Y = 24;
const MARGIN = 20;
const CHAR_W = 7;
const MAX_CHARS = 34;
const LEGEND_H = 40;

const xml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const clip = (text: string): string => (text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text);

/**
 * The flow as one self-contained SVG (no scripts, fonts or external references): a layered layout left to right,
 * boxes coloured by effect, triggers in purple, `after` edges dashed, the output node with a thick border, and a
 * legend of the colours.
 * @example writeFile("flow.svg", toSvg(flowGraph(doc, plan)))
 */
export function toSvg(graph: FlowGraph): string {
  const layout = layeredLayout(graph);
  const longest = Math.max(10, ...graph.vertices.map((v) => Math.max(v.id.length, v.label.length)));
  const boxW = Math.min(MAX_CHARS, longest) * CHAR_W + 24;
  const rowsPerLayer = layout.rows;
  const layers = rowsPerLayer.length;
  const maxRows = Math.max(1, ...rowsPerLayer);
  const graphH = maxRows * BOX_H + (maxRows - 1) * GAP_Y;
  const width = Math.max(2 * MARGIN + layers * boxW + (layers - 1) * GAP_X, 560);
  const height = 2 * MARGIN + 24 + graphH + LEGEND_H;
  /** Top-left corner of the slot of a place. */
  const at = (p: Placement): { x: number; y: number } => {
    const rows = rowsPerLayer[p.layer]!;
    const top = MARGIN + 24 + (graphH - (rows * BOX_H + (rows - 1) * GAP_Y)) / 2;
    return { x: MARGIN + p.layer * (boxW + GAP_X), y: top + p.row * (BOX_H + GAP_Y) };
  };
  const pos = new Map([...layout.places].map(([key, p]) => [key, at(p)]));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${xml(`${graph.flowId}@${graph.version}`)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 4}" font-size="14" font-weight="bold">${xml(`${graph.flowId} ${graph.version}`)}</text>`,
  ];
  const curve = (x1: number, y1: number, x2: number, y2: number): string => {
    const bend = Math.max(20, (x2 - x1) / 2);
    return `C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  };
  graph.edges.forEach((e, index) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) return;
    let x = a.x + boxW;
    let y = a.y + BOX_H / 2;
    const d = [`M${x},${y}`];
    const first = { x1: x, y1: y, x2: b.x, y2: b.y + BOX_H / 2 };
    for (const [i, bend] of (layout.bends[index] ?? []).entries()) {
      const slot = at(bend);
      const by = slot.y + BOX_H / 2;
      if (i === 0) Object.assign(first, { x2: slot.x, y2: by });
      d.push(curve(x, y, slot.x, by), `L${slot.x + boxW},${by}`);
      x = slot.x + boxW;
      y = by;
    }
    d.push(curve(x, y, b.x, b.y + BOX_H / 2));
    const dash = e.type === "after" ? ` stroke-dasharray="5 4"` : "";
    const weight = e.type === "start" ? 2 : 1.3;
    out.push(
      `<path class="edge ${e.type}" d="${d.join(" ")}" fill="none" stroke="#555" stroke-width="${weight}"${dash} marker-end="url(#arrow)"/>`,
    );
    const label = e.type === "after" ? "after" : e.label;
    if (label) {
      // On the first stretch, a little above the source end so that labels of a fan-out do not overlap.
      const lx = first.x1 + 8;
      const ly = first.y1 + (first.y2 - first.y1) * 0.25 - 4;
      out.push(`<text x="${lx}" y="${ly}" font-size="10" fill="#333">${xml(clip(label))}</text>`);
    }
  });
  for (const v of graph.vertices) {
    const p = pos.get(v.key)!;
    const c = v.kind === "trigger" ? TRIGGER_COLORS : EFFECT_COLORS[v.effect as Effect];
    const stroke = v.output ? 3 : 1.5;
    const shape =
      v.kind === "trigger"
        ? `<polygon points="${p.x + 10},${p.y} ${p.x + boxW},${p.y} ${p.x + boxW - 10},${p.y + BOX_H} ${p.x},${p.y + BOX_H}"`
        : `<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${BOX_H}" rx="6"`;
    out.push(
      `<g class="${v.kind}${v.effect ? ` ${v.effect}` : ""}" data-id="${xml(v.id)}">`,
      `${shape} fill="${c.fill}" stroke="${c.stroke}" stroke-width="${stroke}"/>`,
      `<text x="${p.x + boxW / 2}" y="${p.y + 18}" text-anchor="middle" font-weight="bold">${xml(clip(v.id))}</text>`,
      `<text x="${p.x + boxW / 2}" y="${p.y + 34}" text-anchor="middle" fill="#333">${xml(clip(v.label))}</text>`,
      "</g>",
    );
  }
  const legendY = height - MARGIN - 14;
  const entries: [string, { fill: string; stroke: string }][] = [
    ["trigger", TRIGGER_COLORS],
    ...(Object.entries(EFFECT_COLORS) as [string, { fill: string; stroke: string }][]),
  ];
  out.push(`<g class="legend">`);
  entries.forEach(([name, c], i) => {
    const x = MARGIN + i * 90;
    out.push(
      `<rect x="${x}" y="${legendY}" width="14" height="14" rx="3" fill="${c.fill}" stroke="${c.stroke}"/>`,
      `<text x="${x + 20}" y="${legendY + 11}">${name}</text>`,
    );
  });
  const x = MARGIN + entries.length * 90;
  out.push(
    `<path d="M${x},${legendY + 7} L${x + 30},${legendY + 7}" stroke="#555" stroke-dasharray="5 4"/>`,
    `<text x="${x + 36}" y="${legendY + 11}">after (order only)</text>`,
    "</g>",
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}
