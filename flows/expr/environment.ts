import { Environment } from "@marcbachmann/cel-js";

/**
 * Root variables an expression may use: `trigger` (the event), `nodes` (upstream outputs by node and port),
 * `vars` (the flow's var bindings), `run` (id, flowId), `input` (the node's own evaluated inputs, in config
 * expressions only) and `item`/`index` (inside a `map` node's per-item template).
 */
export const EXPRESSION_ROOTS = ["trigger", "nodes", "vars", "run", "input", "item", "index"] as const;
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** Structural limits applied when an expression is parsed (a flow file is untrusted input too). */
export const EXPRESSION_LIMITS = { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 1_000, maxMapEntries: 1_000 };

type Arith = (a: number, b: number) => number;
const ARITHMETIC: Record<string, Arith> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
};

/**
 * The one CEL environment of the runtime. CEL keeps `int` (BigInt) and `double` apart, but JSON data
 * arrives as JS numbers (`double`): without the mixed overloads below, `trigger.body.count + 1` would be
 * a type error. We add `double op int` and `int op double`, computed as doubles, as JSON users expect.
 */
function createEnvironment(): Environment {
  const env = new Environment({
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
    limits: EXPRESSION_LIMITS,
  });
  for (const root of EXPRESSION_ROOTS) env.registerVariable(root, "dyn");
  for (const [op, fn] of Object.entries(ARITHMETIC)) {
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
  }
  return env;
}

export const celEnvironment: Environment = createEnvironment();
