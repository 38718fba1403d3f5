/**
 * Root variables an expression may use: `trigger` (the event), `nodes` (upstream outputs by node and port),
 * `vars` (the flow's var bindings), `run` (id, flowId), `input` (the node's own evaluated inputs, in config
 * expressions only) and `item`/`index` (inside a `map` node's per-item template).
 */
export const EXPRESSION_ROOTS = ["trigger", "nodes", "vars", "run", "input", "item", "index"] as const;
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** Structural limits applied when an expression is parsed (a flow file is untrusted input too). */
export const EXPRESSION_LIMITS = {
  maxAstNodes: 2_000,
  maxDepth: 64,
  maxListElements: 1_000,
  maxMapEntries: 1_000,
};

/** The longest list `range(n)` builds. */
export const MAX_RANGE = 10_000;
