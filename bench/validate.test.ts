import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { fastYamlDocument } from "../flows/load/yaml-fast.ts";
import { validateFlows } from "../flows/validate/index.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";
import { benchFlow, benchValidate } from "./validate.ts";

// The benchmark's flow and its plumbing; timings are printed by `npm run bench`, never asserted.
describe("validation benchmark", () => {
  it("generates a valid 1,000-node flow whose YAML takes the fast path", () => {
    const flow = benchFlow(1_000);
    const yaml = stringify(flow, { lineWidth: 0 });
    expect(fastYamlDocument(yaml)?.document).toEqual(flow);
    for (const source of [
      { file: "large.yaml", text: yaml },
      { file: "large.json", text: JSON.stringify(flow) },
    ]) {
      const result = validateFlows([source], BUILTIN_KIND_SPECS);
      expect(result.diagnostics).toEqual([]);
      expect(result.flows[0]!.document.nodes).toHaveLength(1_000);
    }
    const kinds = new Set(flow.nodes.map((n) => n.kind));
    expect([...kinds].sort()).toEqual(["condition", "log", "map", "merge", "switch", "transform"]);
  });

  it("runs, prints a table and returns the figures", async () => {
    const lines: string[] = [];
    const result = await benchValidate((line) => lines.push(line), {
      nodes: 20,
      runs: 3,
      warmup: 1,
      save: false,
    });
    expect(result.yamlFastPath).toBe(true);
    expect(result.rows.map((r) => `${r.format} ${r.phase}`)).toEqual([
      "yaml load",
      "yaml load+validate",
      "json load",
      "json load+validate",
    ]);
    for (const r of result.rows) expect(r.medianMs).toBeGreaterThan(0);
    expect(lines.length).toBe(2 + result.rows.length);
  });
});
