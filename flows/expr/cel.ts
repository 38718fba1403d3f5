import { Environment, serialize } from "@marcbachmann/cel-js";
import { EXPRESSION_LIMITS, EXPRESSION_ROOTS, MAX_RANGE } from "./environment.ts";

/**
 * The one module that loads the CEL library (`@marcbachmann/cel-js`, about a third of a Worker bundle, and most of
 * its start-up: the library builds its function tables when it is evaluated). Nothing imports it statically but
 * `./cel-eager.ts`: `./cel-loader.ts` loads it with `import()`, which esbuild keeps in the same bundle as a module
 * evaluated on first use, so a Worker's import does not pay for it (impl-docs/kernel.md, "What start-up costs").
 */

export { serialize };

function range(n: number): bigint[] {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RANGE) {
    throw new RangeError(`range(n) needs a whole number from 0 to ${MAX_RANGE}, got ${n}`);
  }
  return Array.from({ length: n }, (_, i) => BigInt(i));
}

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
  // `input` is always a node's inputs record: typed as a map, `input >= 50` (for `input.value >= 50`) is a type
  // error when the flow is validated instead of a failed run. The other roots hold any JSON value.
  for (const root of EXPRESSION_ROOTS)
    env.registerVariable(root, root === "input" ? "map<string, dyn>" : "dyn");
  // `range(n)`: [0, 1, … n-1], for `map` over a count. Bounded, like everything an expression can build.
  env.registerFunction("range(int): list<int>", (n: bigint) => range(Number(n)));
  env.registerFunction("range(double): list<int>", (n: number) => range(n));
  for (const [op, fn] of Object.entries(ARITHMETIC)) {
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
  }
  return env;
}

let environment: Environment | undefined;

/**
 * The environment, made when an expression is first parsed: a plan of plain references only (`compileExpression`)
 * never needs it, so a Worker whose flows have no other expression does not build it at start-up.
 */
export function celEnvironment(): Environment {
  environment ??= createEnvironment();
  return environment;
}
