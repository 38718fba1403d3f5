/**
 * A picture of a flow: its graph (triggers, nodes, data and order edges, taken from the execution plan), a layered
 * layout, Mermaid text and a self-contained SVG. Pure code, no I/O: `flows graph` (CLI) and the run viewer
 * (`hosts/workers/viewer`) both draw with it.
 */
export { crossings, type Layout, layeredLayout, type Placement } from "./layout.ts";
export { EFFECT_COLORS, TRIGGER_COLORS, toMermaid } from "./mermaid.ts";
export { type FlowGraph, flowGraph, type GraphEdge, type GraphVertex, triggerLabel } from "./model.ts";
export { toSvg } from "./svg.ts";
