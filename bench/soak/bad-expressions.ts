import "../../flows/expr/cel-eager.ts";
import { EVALUATION_LIMITS } from "../../flows/expr/budget.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createPlan, runFlow } from "../../kernel/index.ts";
import type { SoakSection } from "./run.ts";

/**
 * Bad input, expressions: hostile payloads fed to ordinary expressions through a real run (kernel, transform
 * node). Each must fail with EXPRESSION_LIMIT (422) within BOUND_MS, not burn the CPU or exhaust memory; a benign
 * payload of the same shape must still succeed.
 */

/** A hostile evaluation must be refused within this time (it would take minutes or crash unbounded). */
export const BOUND_MS = 2_000;

export interface HostileCase {
  name: string;
  expression: string;
  payload: () => unknown;
}

const list = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
let deep: unknown = 1;
for (let i = 0; i < 100_000; i++) deep = [deep];

export const HOSTILE_CASES: readonly HostileCase[] = [
  {
    name: "nested map over a 10,000-item list (10^8 steps)",
    expression: "trigger.items.map(x, trigger.items.map(y, x + y))",
    payload: () => ({ items: list(10_000) }),
  },
  {
    name: "nested all() over a 10,000-item list",
    expression: "trigger.items.all(x, trigger.items.all(y, y >= 0))",
    payload: () => ({ items: list(10_000) }),
  },
  {
    name: "nested exists() that never succeeds",
    expression: "trigger.items.exists(x, trigger.items.exists(y, y < 0))",
    payload: () => ({ items: list(10_000) }),
  },
  {
    name: "contains() on a 1 MiB string per list item",
    expression: "trigger.items.filter(x, trigger.s.contains(string(x)))",
    payload: () => ({ items: list(10_000), s: "a".repeat(1 << 20) }),
  },
  {
    name: "a 1 MiB string split into a million one-character strings, mapped",
    expression: "trigger.s.split('').map(c, c + c)",
    payload: () => ({ s: "a".repeat(1 << 20) }),
  },
  {
    name: "10,000 copies of a 10,000-item list",
    expression: "range(10000).map(i, trigger.items)",
    payload: () => ({ items: list(10_000) }),
  },
  {
    // `${{ trigger.deep }}` alone is passed by reference (no copy, no work); inside a value it is converted.
    name: "a payload nested 100,000 deep, put into a map",
    expression: "{'d': trigger.deep}",
    payload: () => ({ deep }),
  },
  {
    name: "a payload nested 100,000 deep, compared",
    expression: "trigger.deep == trigger.deep",
    payload: () => ({ deep }),
  },
];

function documentOf(expression: string): FlowDocument {
  return {
    flows: 1,
    id: "hostile",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/h" }],
    nodes: [{ id: "t", kind: "transform", config: { value: `\${{ ${expression} }}` } }],
    output: "t",
  } as FlowDocument;
}

export interface HostileResult {
  name: string;
  ms: number;
  status: string;
  code: string | undefined;
}

/** Runs one hostile case through the kernel. */
export async function runHostile(c: HostileCase): Promise<HostileResult> {
  const plan = createPlan(documentOf(c.expression));
  const trigger = c.payload();
  const started = performance.now();
  const result = await runFlow(plan, { trigger, logger: { log() {} } });
  return { name: c.name, ms: performance.now() - started, status: result.status, code: result.error?.code };
}

export const expressionBoundsSection: SoakSection = {
  name: "Bad input: expressions",
  async run(print) {
    print(
      `limits: ${EVALUATION_LIMITS.maxSteps} steps, result depth ${EVALUATION_LIMITS.maxResultDepth}, ${EVALUATION_LIMITS.maxResultItems} elements, ${EVALUATION_LIMITS.maxResultChars} chars`,
    );
    let ok = true;
    for (const c of HOSTILE_CASES) {
      const r = await runHostile(c);
      const pass = r.status === "failed" && r.code === "EXPRESSION_LIMIT" && r.ms < BOUND_MS;
      if (!pass) ok = false;
      print(`${pass ? "ok  " : "FAIL"} ${r.name}: ${r.status} ${r.code ?? ""} in ${r.ms.toFixed(1)} ms`);
    }
    // The same shapes, benign: a 1,000-item map and a 100 × 100 nested map stay well inside the budget.
    const benign = await runHostile({
      name: "benign",
      expression: "trigger.items.map(x, trigger.items.filter(y, y < 100).map(y, x + y)).size()",
      payload: () => ({ items: list(100) }),
    });
    print(`benign 100 × 100 nested map: ${benign.status} in ${benign.ms.toFixed(1)} ms`);
    return ok && benign.status === "ok";
  },
};
