import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { FlowDocument, NodeDecl } from "../flows/ir/types.ts";
import { loadFlowSource } from "../flows/load/index.ts";
import { fastYamlDocument } from "../flows/load/yaml-fast.ts";
import { validateFlows } from "../flows/validate/index.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";

/**
 * Load and validation time of one large flow: 1,000 nodes (transform, condition, switch, merge, map, log)
 * wired by `${{ }}` references to earlier nodes, with a few triggers and bindings, written as YAML (≈170 KB)
 * and as JSON. Warm-up first, then the median and p90 of single timed runs, the four measures interleaved.
 * Never asserts timings.
 */

/** Milliseconds the whole validation of the 1,000-node flow should take. */
export const VALIDATE_GOAL_MS = 50;

export interface ValidateBenchRow {
  format: "yaml" | "json";
  phase: "load" | "load+validate";
  bytes: number;
  medianMs: number;
  p90Ms: number;
  /** medianMs / VALIDATE_GOAL_MS: below 1 meets the goal. */
  ratioToGoal: number;
}

export interface ValidateBenchResult {
  nodes: number;
  runs: number;
  goalMs: number;
  /** Whether the YAML text took the fast path (js-yaml); false would mean the bench measures `yaml`. */
  yamlFastPath: boolean;
  rows: ValidateBenchRow[];
}

export interface ValidateBenchOptions {
  nodes?: number;
  runs?: number;
  warmup?: number;
  /** Write bench/results/validate.json (default true). */
  save?: boolean;
}

/** The mix of node kinds, repeated: mostly transforms, as in real flows. */
const SHAPES = ["transform", "condition", "switch", "transform", "merge", "map", "transform", "log"] as const;
type Shape = (typeof SHAPES)[number];

/** A realistic flow of `n` nodes; every reference points to an earlier node, so the graph is acyclic. */
export function benchFlow(n: number): FlowDocument {
  const nodes: NodeDecl[] = [];
  const shapeOf = (i: number): Shape => (i === 0 ? "transform" : SHAPES[i % SHAPES.length]!);
  const earlier = (i: number, back: number): string => `n${Math.max(0, i - back)}`;
  /** A reference to an output of an earlier node, through the port its kind has. */
  const ref = (i: number, back: number): string => {
    const j = Math.max(0, i - back);
    const port = { condition: "then", switch: "large" }[shapeOf(j) as string] ?? "out";
    return `nodes.n${j}.${port}`;
  };
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const shape = shapeOf(i);
    if (shape === "transform") {
      nodes.push({
        id,
        kind: "transform",
        inputs: { body: i === 0 ? "${{ trigger.body }}" : `\${{ ${ref(i, 1)} }}` },
        config: { value: `\${{ { "total": input.body.total + ${i} } }}` },
      });
    } else if (shape === "condition") {
      nodes.push({
        id,
        kind: "condition",
        inputs: { value: `\${{ ${ref(i, 1)} }}` },
        config: { when: `input.value.total > ${i % 17}` },
      });
    } else if (shape === "switch") {
      nodes.push({
        id,
        kind: "switch",
        inputs: { value: `\${{ ${ref(i, 2)} }}` },
        config: {
          cases: [
            { port: "large", when: `input.value.total > ${i}` },
            { port: "small", when: `\${{ input.value.total <= ${i} }}` },
          ],
          default: "other",
        },
      });
    } else if (shape === "merge") {
      nodes.push({
        id,
        kind: "merge",
        inputs: {
          first: `\${{ ${ref(i, 3)} }}`,
          large: `\${{ ${ref(i, 2)} }}`,
        },
        config: { mode: "all" },
      });
    } else if (shape === "map") {
      nodes.push({
        id,
        kind: "map",
        inputs: { items: `\${{ [${ref(i, 1)}, ${ref(i, 4)}] }}` },
        config: {
          concurrency: 4,
          node: { kind: "transform", config: { value: "${{ string(index) + ': ' + string(item) }}" } },
        },
      });
    } else {
      nodes.push({
        id,
        kind: "log",
        after: [earlier(i, 2)],
        inputs: {
          message: `node ${i} for \${{ trigger.params.orderId }}`,
          data: `\${{ ${ref(i, 1)} }}`,
        },
      });
    }
  }
  return {
    flows: 1,
    id: "bench-large",
    version: "1.0.0",
    description: `A generated flow of ${n} nodes for the validation benchmark.`,
    bindings: {
      ORDERS_KV: { type: "kv", description: "Order cache" },
      ORDERS_QUEUE: { type: "queue", queue: "orders" },
      CURRENCY: { type: "var", value: "EUR" },
      API_TOKEN: { type: "secret" },
    },
    triggers: [
      { id: "create", type: "http", method: "POST", path: "/orders/:orderId" },
      { type: "queue", queue: "orders", batchSize: 10 },
      { type: "cron", schedule: "*/15 9-17 * * MON-FRI" },
    ],
    defaults: { timeout: "30s", retry: { attempts: 1 } },
    nodes: answered(nodes, (j) => ({ condition: "then", switch: "large" })[shapeOf(j) as string] ?? "out"),
    output: `n${n - 1}`,
  };
}

/**
 * The last node made a merge of the node before it and `n0`, so that the answer never waits on a condition's port
 * (no FLOW_OUTPUT_MAY_BE_SKIPPED: a diagnostic costs locating it in the YAML, which this bench does not measure).
 */
function answered(nodes: NodeDecl[], portOf: (j: number) => string): NodeDecl[] {
  if (nodes.length < 3) return nodes;
  const last = nodes.length - 1;
  const merge: NodeDecl = {
    id: `n${last}`,
    kind: "merge",
    config: { mode: "first" },
    inputs: { last: `\${{ nodes.n${last - 1}.${portOf(last - 1)} }}`, first: "${{ nodes.n0.out }}" },
  };
  return [...nodes.slice(0, last), merge];
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/**
 * Times each function `runs` times, after `warmup` untimed rounds, in interleaved rounds (one call of each per
 * round) so that all of them see the same machine state; yields to the event loop between rounds.
 */
async function measure(
  fns: readonly (() => void)[],
  runs: number,
  warmup: number,
): Promise<{ median: number; p90: number }[]> {
  const times = fns.map((): number[] => []);
  for (let round = 0; round < warmup + runs; round++) {
    fns.forEach((fn, i) => {
      const started = performance.now();
      fn();
      if (round >= warmup) times[i]!.push(performance.now() - started);
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { median: percentile(t, 0.5), p90: percentile(t, 0.9) };
  });
}

const fixed = (x: number, digits: number): string => x.toFixed(digits);

/**
 * Runs the validation benchmark, prints a table, writes bench/results/validate.json and returns the figures.
 * @example await benchValidate() // npm run bench
 */
export async function benchValidate(
  print: (line: string) => void = console.log,
  { nodes = 1_000, runs = 40, warmup = 10, save = true }: ValidateBenchOptions = {},
): Promise<ValidateBenchResult> {
  const flow = benchFlow(nodes);
  const texts = {
    yaml: { file: "large.yaml", text: stringify(flow, { lineWidth: 0 }) },
    json: { file: "large.json", text: `${JSON.stringify(flow, null, 2)}\n` },
  };
  const cases = (["yaml", "json"] as const).flatMap((format) => {
    const source = texts[format];
    const check = validateFlows([source], BUILTIN_KIND_SPECS);
    if (!check.ok) {
      const first = check.diagnostics[0]!;
      throw new Error(`the ${format} bench flow is invalid: ${first.code} ${first.pointer} ${first.message}`);
    }
    return [
      { format, phase: "load" as const, run: (): void => void loadFlowSource(source.text, source.file) },
      {
        format,
        phase: "load+validate" as const,
        run: (): void => void validateFlows([source], BUILTIN_KIND_SPECS),
      },
    ];
  });
  const times = await measure(
    cases.map((c) => c.run),
    runs,
    warmup,
  );
  const rows: ValidateBenchRow[] = cases.map(({ format, phase }, i) => ({
    format,
    phase,
    bytes: texts[format].text.length,
    medianMs: times[i]!.median,
    p90Ms: times[i]!.p90,
    ratioToGoal: times[i]!.median / VALIDATE_GOAL_MS,
  }));
  const yamlFastPath = fastYamlDocument(texts.yaml.text) !== undefined;
  const result: ValidateBenchResult = { nodes, runs, goalMs: VALIDATE_GOAL_MS, yamlFastPath, rows };
  print(
    `validation of a ${nodes}-node flow (${runs} runs after ${warmup} warm-up; goal ${VALIDATE_GOAL_MS} ms; YAML ${yamlFastPath ? "fast path: js-yaml" : "slow path: yaml"})`,
  );
  print("format   phase             KB   median ms   p90 ms   median/goal");
  for (const r of rows) {
    print(
      `${r.format.padEnd(6)}   ${r.phase.padEnd(13)}   ${fixed(r.bytes / 1024, 0).padStart(4)}   ${fixed(r.medianMs, 2).padStart(9)}   ${fixed(r.p90Ms, 2).padStart(6)}   ${fixed(r.ratioToGoal, 2).padStart(11)}`,
    );
  }
  if (save) {
    const dir = join(import.meta.dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "validate.json"), `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}
