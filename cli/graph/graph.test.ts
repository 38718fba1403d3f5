import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  crossings,
  flowGraph as graphOfPlan,
  layeredLayout,
  toMermaid,
  toSvg,
} from "../../flows/graph/index.ts";
import type { FlowDocument } from "../../flows/index.ts";
import { createPlan, type KindRegistry } from "../../kernel/index.ts";
import { allKinds } from "../run/load.ts";
import { flowsInProcess, ROOT } from "../run/testing.ts";

const flowGraph = (doc: FlowDocument, registry: KindRegistry) =>
  graphOfPlan(doc, createPlan(doc, { registry }));

const EFFECTS = join(ROOT, "cli", "graph", "fixtures", "effects.yaml");
const tmp = mkdtempSync(join(tmpdir(), "flows-graph-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const node = (id: string, value: string, extra: object = {}) => ({
  id,
  kind: "transform",
  inputs: { v: value },
  ...extra,
});

describe("flows graph", () => {
  it("prints Mermaid: triggers, nodes labelled id and kind with their effect class, data edges with ports, after edges dashed", async () => {
    const { code, stdout } = await flowsInProcess(["graph", EFFECTS]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("flowchart LR");
    expect(lines).toContain('  t_http[/"<b>http</b><br/>POST /cache"/]:::trigger');
    expect(lines).toContain('  n_fetch["<b>fetch</b><br/>http.fetch"]:::external');
    expect(lines).toContain('  n_store["<b>store</b><br/>kv.put"]:::write');
    expect(lines).toContain('  n_check["<b>check</b><br/>kv.get"]:::read');
    // The output node has a double border.
    expect(lines).toContain('  n_reply[["<b>reply</b><br/>respond"]]:::pure');
    expect(lines).toContain('  n_fetch -->|"value"| n_store');
    expect(lines).toContain("  n_store -.->|after| n_check");
    expect(lines).toContain('  n_check -->|"body"| n_reply');
    expect(lines).toContain("  t_http ==> n_fetch");
    expect(lines).toContain("  classDef external fill:#fce4ec,stroke:#c2185b,color:#000");
  });

  it("takes edges from the plan, including references in config and `when`, and one label per source and target", () => {
    const doc: FlowDocument = {
      flows: 1,
      id: "refs",
      version: "1.0.0",
      triggers: [],
      nodes: [
        node("a", "x"),
        { id: "b", kind: "transform", config: { value: "${{ nodes.a.out }}" } },
        node("c", "${{ nodes.a.out }}", {
          when: "nodes.b.out != null",
          inputs: { v: "${{ nodes.a.out }}", w: "${{ nodes.a.out.w }}" },
        }),
      ],
    };
    const graph = flowGraph(doc, allKinds());
    expect(graph.edges).toEqual([
      { from: "node:a", to: "node:b", type: "data" },
      { from: "node:a", to: "node:c", type: "data", label: "v, w" },
      { from: "node:b", to: "node:c", type: "data" },
    ]);
    expect(toMermaid(graph)).toContain('  n_a -->|"v, w"| n_c');
  });

  it("writes a self-contained SVG with a box per node coloured by effect and a legend", async () => {
    const out = join(tmp, "effects.svg");
    const { code, stderr } = await flowsInProcess(["graph", EFFECTS, "--format", "svg", "--out", out]);
    expect(code).toBe(0);
    expect(stderr).toBe(`wrote ${out} (svg, 5 boxes, 5 edges)\n`);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/<script|href=|@import|url\(http/);
    expect(svg.match(/<g class="node /g)).toHaveLength(4);
    expect(svg).toContain('<g class="node external" data-id="fetch">');
    expect(svg).toMatch(/<g class="node write" data-id="store">\n<rect [^>]*fill="#fff3e0" stroke="#ef6c00"/);
    expect(svg).toMatch(/<path class="edge after" [^>]*stroke-dasharray="5 4"/);
    expect(svg).toContain('<g class="legend">');
    for (const effect of ["pure", "read", "write", "external", "after (order only)"])
      expect(svg).toContain(`>${effect}</text>`);
  });

  it("escapes text in the SVG", () => {
    const doc: FlowDocument = {
      flows: 1,
      id: "esc",
      version: "1.0.0",
      triggers: [{ type: "http", method: "GET", path: "/a/<b>&c" }],
      nodes: [node("a", "x")],
    };
    const svg = toSvg(flowGraph(doc, allKinds()));
    expect(svg).toContain("GET /a/&lt;b&gt;&amp;c");
    expect(svg).not.toContain("<b>&c");
  });

  it("lays out by longest path and orders rows so that file order does not force crossings", () => {
    // a → y and b → x written so that the file order (x before y) would cross the two edges.
    const doc: FlowDocument = {
      flows: 1,
      id: "cross",
      version: "1.0.0",
      triggers: [],
      nodes: [
        node("a", "1"),
        node("b", "2"),
        node("x", "${{ nodes.b.out }}"),
        node("y", "${{ nodes.a.out }}"),
        node("z", "${{ nodes.x.out }}", { inputs: { v: "${{ nodes.x.out }}", w: "${{ nodes.a.out }}" } }),
      ],
    };
    const graph = flowGraph(doc, allKinds());
    const layout = layeredLayout(graph);
    expect(layout.places.get("node:a")?.layer).toBe(0);
    expect(layout.places.get("node:x")?.layer).toBe(1);
    expect(layout.places.get("node:z")?.layer).toBe(2);
    // a → z spans two layers: it gets one bend in layer 1.
    const spanning = graph.edges.findIndex((e) => e.from === "node:a" && e.to === "node:z");
    expect(layout.bends[spanning]).toHaveLength(1);
    expect(layout.bends[spanning]![0]!.layer).toBe(1);
    expect(crossings(graph, layout)).toBe(0);
  });

  it("draws every example and template flow without a line crossing a box", async () => {
    const dirs = [join(ROOT, "examples"), join(ROOT, "cli", "new", "templates")];
    const { readFlowFiles } = await import("../files.ts");
    const { loadFlow } = await import("../run/load.ts");
    // Flow files only (a template's package.json mentions `flows` too).
    const sources = (await readFlowFiles(dirs)).filter((s) => /\.ya?ml$/.test(s.file));
    expect(sources.length).toBeGreaterThanOrEqual(8);
    for (const { file } of sources) {
      const flow = await loadFlow(file);
      expect({ file, ok: flow.ok }).toEqual({ file, ok: true });
      if (!flow.ok) continue;
      const graph = flowGraph(flow.document, allKinds());
      const layout = layeredLayout(graph);
      // Every edge moves one layer per step: long edges have a bend in each layer they cross.
      graph.edges.forEach((e, i) => {
        const from = layout.places.get(e.from)!.layer;
        const to = layout.places.get(e.to)!.layer;
        expect(to).toBeGreaterThan(from);
        expect(layout.bends[i]).toHaveLength(to - from - 1);
      });
      expect(toSvg(graph)).toContain("</svg>");
    }
  });

  it("exits 1 for an invalid flow, 2 for a missing file, an unknown format and an unwritable --out", async () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(
      bad,
      "flows: 1\nid: bad\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: a\n    kind: transfrom\n",
    );
    const invalid = await flowsInProcess(["graph", bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("error[FLOW_UNKNOWN_KIND]");
    expect(invalid.stdout).toBe("");

    const missing = await flowsInProcess(["graph", join(tmp, "none.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error[CLI_FILE_NOT_FOUND] no such file:");

    const format = await flowsInProcess(["graph", EFFECTS, "--format", "png"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toBe("flows: error[CLI_OPTION_INVALID] --format png is not one of mermaid, svg\n");

    const out = join(tmp, "no-such-dir", "x.svg");
    const unwritable = await flowsInProcess(["graph", EFFECTS, "--format", "svg", "--out", out]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toBe(`flows: error[CLI_OUT_UNWRITABLE] cannot write ${out}: ENOENT\n`);
  });
});
