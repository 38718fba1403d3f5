import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { defaultCatalog } from "../../cli/catalog.ts";
import { flowSet, planSources, renderChangePlanMarkdown, renderChangePlanText } from "./index.ts";

const catalog = defaultCatalog();

const flow = (id: string, extra: Record<string, unknown> = {}) => ({
  flows: 1,
  id,
  version: "1.0.0",
  triggers: [],
  nodes: [{ id: "a", kind: "transform", inputs: { x: 1 } }],
  ...extra,
});
const yaml = (file: string, doc: unknown) => ({ file, text: stringify(doc) });
const plan = (before: { file: string; text: string }[], after: { file: string; text: string }[]) =>
  planSources(before, after, { catalog });

describe("planSources", () => {
  it("reads a packaged flows.json (a list of documents) like the flow files it was made from", () => {
    const docs = [flow("one"), flow("two", { triggers: [{ type: "cron", schedule: "0 1 * * *" }] })];
    const packaged = { file: "dist/flows.json", text: JSON.stringify(docs) };
    expect(
      plan(
        [packaged],
        docs.map((d) => yaml(`${d.id}.yaml`, d)),
      ).status,
    ).toBe("unchanged");
    const changed = plan([packaged], [yaml("one.yaml", docs[0])]);
    expect(changed.flows.map((f) => [f.id, f.status, f.file.before])).toEqual([
      ["two", "removed", "dist/flows.json"],
    ]);
  });

  it("reports a flow id declared twice on one side, and keeps the first file's", () => {
    const set = flowSet([yaml("a.yaml", flow("x")), yaml("b.yaml", flow("x"))], "after");
    expect(set.flows.map((f) => f.file)).toEqual(["a.yaml"]);
    expect(set.problems).toEqual([
      {
        side: "after",
        file: "b.yaml",
        code: "PLAN_DUPLICATE_FLOW",
        message: "flow `x` is also declared by a.yaml",
      },
    ]);
  });

  it("does not call the flows of a file that no longer loads removed", () => {
    const result = plan([yaml("x.yaml", flow("x"))], [{ file: "x.yaml", text: "flows: 1\nid: [\n" }]);
    expect(result.flows).toEqual([]);
    expect(result.problems.map((p) => [p.side, p.file, p.code])).toEqual([
      ["after", "x.yaml", "FLOW_SYNTAX"],
    ]);
    expect(renderChangePlanText(result)).toContain("not planned\n  ✗ after x.yaml: FLOW_SYNTAX");
  });

  it("pairs two triggers of one type by what they serve, so that their order (and default ids) is no change", () => {
    const crons = [
      { type: "cron", schedule: "0 1 * * *" },
      { type: "cron", schedule: "0 2 * * *" },
    ];
    const swapped = [crons[1], crons[0]];
    expect(
      plan(
        [yaml("x.yaml", flow("x", { triggers: crons }))],
        [yaml("x.yaml", flow("x", { triggers: swapped }))],
      ).status,
    ).toBe("unchanged");
  });

  it("follows a chain of renamed nodes, and does not guess between two identical candidates", () => {
    const before = flow("x", {
      nodes: [
        { id: "a", kind: "transform", inputs: { v: 1 } },
        { id: "b", kind: "transform", inputs: { v: "${{ nodes.a.out }}" } },
      ],
    });
    const after = flow("x", {
      nodes: [
        { id: "first", kind: "transform", inputs: { v: 1 } },
        { id: "second", kind: "transform", inputs: { v: "${{ nodes.first.out }}" } },
      ],
    });
    const renamed = plan([yaml("x.yaml", before)], [yaml("x.yaml", after)]);
    expect(renamed.flows[0]!.changes.map((c) => c.message)).toEqual([
      "node `a` renamed to `first`",
      "node `b` renamed to `second`",
    ]);
    const twins = flow("x", {
      nodes: [
        { id: "c", kind: "transform", inputs: { v: 1 } },
        { id: "d", kind: "transform", inputs: { v: 1 } },
      ],
    });
    const ambiguous = plan(
      [yaml("x.yaml", flow("x", { nodes: [{ id: "a", kind: "transform", inputs: { v: 1 } }] }))],
      [yaml("x.yaml", twins)],
    );
    expect(ambiguous.flows[0]!.changes.map((c) => [c.op, c.subject])).toEqual([
      ["removed", "node a"],
      ["added", "node c"],
      ["added", "node d"],
    ]);
  });

  it("reports GitHub events that a second flow starts to take, with the overlapping pattern", () => {
    const github = (id: string, events: string[]) =>
      flow(id, {
        triggers: [{ type: "github", events }],
        bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
      });
    const result = plan(
      [yaml("a.yaml", github("a", ["issues.opened"]))],
      [yaml("a.yaml", github("a", ["issues.opened"])), yaml("b.yaml", github("b", ["issues", "push"]))],
    );
    expect(result.shared).toEqual([
      {
        type: "github",
        key: "POST /api/github/webhooks issues.opened",
        flows: ["a", "b"],
        message: "GitHub deliveries of `issues.opened` at `POST /api/github/webhooks` run `a`, `b`",
      },
    ]);
  });

  it("says no changes in Markdown, and nothing in text, for equal sets", () => {
    const same = plan([yaml("x.yaml", flow("x"))], [yaml("x.yaml", flow("x"))]);
    expect(renderChangePlanText(same)).toBe("");
    expect(renderChangePlanMarkdown(same)).toBe(
      "### Flow plan: no changes\n\n1 flow compared: nothing changes.\n",
    );
  });

  it("keeps the Markdown under its length limit by dropping the details of the flows that do not fit", () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      flow(`f${i}`, {
        nodes: Array.from({ length: 30 }, (_, j) => ({ id: `n${j}`, kind: "transform", inputs: { j } })),
      }),
    );
    const result = plan(
      [],
      many.map((d) => yaml(`${d.id}.yaml`, d)),
    );
    const text = renderChangePlanMarkdown(result, { maxLength: 8_000 });
    expect(text.length).toBeLessThanOrEqual(8_000);
    expect(text).toContain("| `f39` | added | 30 |");
    expect(text).toMatch(
      /_The details of \d+ more flows do not fit in one comment: run `flows plan` to see them._/,
    );
  });
});
