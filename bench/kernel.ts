import "../flows/expr/cel-eager.ts";
import { type CompiledValue, compileValue } from "../flows/expr/index.ts";
import type { FlowDocument, NodeDecl } from "../flows/ir/types.ts";
import { createPlan, type ExecutionPlan, runFlow } from "../kernel/index.ts";

/**
 * Kernel overhead per node: chains and fan-outs of 1, 10, 100 and 1,000 pure `transform` nodes, each
 * evaluating one CEL expression, against a hand-written async chain (or Promise.all fan-out) that evaluates
 * the same compiled expressions in the same process. Warm-up first, then the median of several timed batches,
 * kernel and hand-written interleaved so that both see the same machine state.
 */

type Shape = "chain" | "fan-out";

export interface KernelBenchRow {
  shape: Shape;
  nodes: number;
  kernelUs: number;
  handUs: number;
  overheadPerNodeUs: number;
  ratio: number;
}

const expressionOf = (shape: Shape, i: number): string =>
  shape === "chain" && i > 0 ? `\${{ nodes.n${i - 1}.out + 1 }}` : `\${{ trigger.x + ${i} }}`;

function documentOf(shape: Shape, n: number): FlowDocument {
  const nodes: NodeDecl[] = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    kind: "transform",
    config: { value: expressionOf(shape, i) },
  }));
  return {
    flows: 1,
    id: `bench-${shape}-${n}`,
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/bench" }],
    nodes,
    output: `n${n - 1}`,
  };
}

/** The same work written by hand: one awaited async step per node, the same expressions, the same scope. */
function handWritten(shape: Shape, n: number): (trigger: unknown) => Promise<unknown> {
  const values: CompiledValue[] = Array.from(
    { length: n },
    (_, i) => compileValue(expressionOf(shape, i)).value,
  );
  const ids = values.map((_, i) => `n${i}`);
  const step = async (value: CompiledValue, scope: object): Promise<unknown> => value.evaluate(scope);
  if (shape === "chain") {
    return async (trigger) => {
      const nodes: Record<string, { out: unknown }> = {};
      const scope = { trigger, nodes, vars: {}, run: { id: "hand", flowId: "hand" } };
      for (let i = 0; i < n; i++) nodes[ids[i]!] = { out: await step(values[i]!, scope) };
      return nodes[ids[n - 1]!]!.out;
    };
  }
  return async (trigger) => {
    const nodes: Record<string, { out: unknown }> = {};
    const scope = { trigger, nodes, vars: {}, run: { id: "hand", flowId: "hand" } };
    const outs = await Promise.all(values.map((value) => step(value, scope)));
    outs.forEach((out, i) => {
      nodes[ids[i]!] = { out };
    });
    return nodes[ids[n - 1]!]!.out;
  };
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Microseconds per call of `fn`, over a batch of `count` sequential calls. */
async function timeBatch(fn: () => Promise<unknown>, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return ((performance.now() - started) * 1_000) / count;
}

interface Scenario {
  shape: Shape;
  nodes: number;
  kernel: () => Promise<unknown>;
  hand: () => Promise<unknown>;
  /** Calls per timed batch (about 20 ms). */
  batch: number;
}

export async function scenario(shape: Shape, n: number): Promise<Scenario> {
  const plan: ExecutionPlan = createPlan(documentOf(shape, n));
  const handRun = handWritten(shape, n);
  const trigger = { x: 1 };
  const kernel = async (): Promise<unknown> => {
    const result = await runFlow(plan, { trigger });
    if (result.status !== "ok") throw new Error(`bench run failed: ${result.error?.message}`);
    return result.output;
  };
  const hand = (): Promise<unknown> => handRun(trigger);
  if ((await kernel()) !== (await hand())) throw new Error(`kernel and hand-written ${shape} disagree`);
  const probe = await timeBatch(kernel, 10);
  return { shape, nodes: n, kernel, hand, batch: Math.max(5, Math.round(20_000 / probe)) };
}

/** Warm-up: every scenario, kernel and hand-written, for about `ms` each, so that all code paths are optimised. */
async function warmUp(scenarios: readonly Scenario[], ms: number): Promise<void> {
  for (const s of scenarios) {
    for (const fn of [s.kernel, s.hand]) {
      const until = performance.now() + ms;
      while (performance.now() < until) await timeBatch(fn, s.batch);
    }
  }
}

/** Medians of `repetitions` interleaved batches (kernel, hand, kernel, hand…). */
export async function measure(s: Scenario, repetitions: number): Promise<KernelBenchRow> {
  const kernel: number[] = [];
  const hand: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    kernel.push(await timeBatch(s.kernel, s.batch));
    hand.push(await timeBatch(s.hand, s.batch));
  }
  const kernelUs = median(kernel);
  const handUs = median(hand);
  return {
    shape: s.shape,
    nodes: s.nodes,
    kernelUs,
    handUs,
    overheadPerNodeUs: (kernelUs - handUs) / s.nodes,
    ratio: kernelUs / handUs,
  };
}

const fixed = (x: number, digits: number): string => x.toFixed(digits);

/**
 * Runs the kernel benchmark and prints a table; returns the rows.
 * @example await benchKernel() // npm run bench
 */
export async function benchKernel(print: (line: string) => void = console.log): Promise<KernelBenchRow[]> {
  const repetitions = 15;
  const scenarios: Scenario[] = [];
  for (const shape of ["chain", "fan-out"] as const) {
    for (const n of [1, 5, 10, 100, 1_000]) scenarios.push(await scenario(shape, n));
  }
  await warmUp(scenarios, 150);
  await warmUp(scenarios, 50);
  const rows: KernelBenchRow[] = [];
  for (const s of scenarios) rows.push(await measure(s, repetitions));
  print(
    `kernel overhead per pure node (median of ${repetitions} interleaved batches after warm-up; hand-written = the same CEL work in awaited async steps)`,
  );
  print("shape    nodes   kernel µs/run   hand µs/run   overhead µs/node   kernel/hand");
  for (const r of rows) {
    const cells = [
      r.shape.padEnd(8),
      String(r.nodes).padStart(5),
      fixed(r.kernelUs, 2).padStart(13),
      fixed(r.handUs, 2).padStart(11),
      fixed(r.overheadPerNodeUs, 3).padStart(16),
      fixed(r.ratio, 3).padStart(11),
    ];
    print(cells.join("   ").replace("   ", " "));
  }
  const five = rows.find((r) => r.shape === "chain" && r.nodes === 5)!;
  const worst = Math.max(...rows.filter((r) => r.nodes >= 10).map((r) => r.overheadPerNodeUs));
  print(`5-node chain: kernel/hand = ${fixed(five.ratio, 3)} (goal ≤ 1.05)`);
  print(`worst overhead per node at 10+ nodes: ${fixed(worst, 3)} µs (goal ≤ 1 µs)`);
  return rows;
}
