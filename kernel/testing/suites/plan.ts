import { describe, expect, it } from "vitest";
import type { NodeKindSpec } from "../../../flows/kinds/spec.ts";
import { FlowError } from "../../errors.ts";
import { BUILTIN_KINDS } from "../../kinds/builtins.ts";
import { catalogOf, createRegistry, lookupKind } from "../../kinds/registry.ts";
import { BUILTIN_KIND_SPECS } from "../../kinds/specs.ts";
import { createPlan, flowDeterminism } from "../../plan.ts";
import { flow, node, planOf, probeKind, ref } from "../helpers.ts";

const thrown = (fn: () => unknown): FlowError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlowError) return error;
    throw error;
  }
  throw new Error("expected a FlowError");
};

/** Plans and the kind registry. */
export function planSuite(): void {
  describe("kind registry", () => {
    it("is a frozen object keyed by kind name, with every built-in kind", () => {
      expect(Object.isFrozen(BUILTIN_KINDS)).toBe(true);
      expect(Object.keys(BUILTIN_KINDS).sort()).toEqual(Object.keys(BUILTIN_KIND_SPECS).sort());
      expect(catalogOf(BUILTIN_KINDS)).toEqual(BUILTIN_KIND_SPECS);
    });

    it("refuses two kinds with one name", () => {
      const error = thrown(() => createRegistry(BUILTIN_KINDS, probeKind("transform")));
      expect(error.message).toBe("node kind `transform` is registered twice");
    });

    it("explains an unknown kind, listing the known ones closest first", () => {
      const error = thrown(() => lookupKind(BUILTIN_KINDS, "transfrom"));
      expect(error.code).toBe("UNKNOWN_KIND");
      expect(error.message).toMatch(
        /^unknown node kind `transfrom`; did you mean `transform`\? Known kinds: transform, /,
      );
      expect((error.details as { known: string[] }).known).toHaveLength(12);
      expect(thrown(() => lookupKind(BUILTIN_KINDS, "zzzzzzzzzzzzzz")).message).toMatch(
        /^unknown node kind `zzzzzzzzzzzzzz`\. Known kinds: /,
      );
    });

    it("makes createPlan fail with UNKNOWN_KIND", () => {
      expect(thrown(() => createPlan(flow([node("a", "kv.gett")]))).code).toBe("UNKNOWN_KIND");
    });
  });

  describe("plans", () => {
    it("reports a cycle, an unknown reference and a bad expression as PLAN_INVALID with every issue", () => {
      const error = thrown(() =>
        createPlan(
          flow([
            node("a", "transform", { inputs: { b: ref("b") } }),
            node("b", "transform", { inputs: { a: ref("a") } }),
            node("c", "transform", { inputs: { x: ref("ghost") } }),
            node("d", "transform", { inputs: { x: "${{ trigger. }}" } }),
          ]),
        ),
      );
      expect(error.code).toBe("PLAN_INVALID");
      const issues = (error.details as { issues: { nodeId: string; path: string; message: string }[] })
        .issues;
      expect(issues.map((i) => [i.nodeId, i.path])).toEqual([
        ["d", "inputs.x"],
        ["c", "inputs.x"],
        ["a", "inputs"],
      ]);
      expect(issues[1]!.message).toBe("unknown node `ghost`");
      expect(issues[2]!.message).toBe("nodes `a`, `b` form a cycle");
    });

    it("resolves a timeout from the node, else its kind, else the flow default", () => {
      const plan = planOf(
        [
          node("own", "http.fetch", { timeout: "2s" }),
          node("kinds", "http.fetch"),
          node("flows", "transform"),
        ],
        [],
        { defaults: { timeout: "30s" } },
      );
      expect(plan.nodes.map((n) => n.timeoutMs)).toEqual([2_000, 10_000, 30_000]);
    });

    it("resolves retry policies and gates them by effect", () => {
      const plan = planOf(
        [
          node("pure", "transform", {
            retry: { attempts: 3, delay: "1s", backoff: "linear", maxDelay: "5s", jitter: true },
          }),
          node("ext", "http.fetch", { retry: { attempts: 3 } }),
          node("keyed", "http.fetch", { retry: { attempts: 3 }, idempotencyKey: "'k'" }),
        ],
        [],
      );
      expect(plan.nodes[0]!.retry).toEqual({
        attempts: 3,
        backoff: "linear",
        delayMs: 1_000,
        maxDelayMs: 5_000,
        jitter: true,
        gated: false,
      });
      expect(plan.nodes[1]!.retry).toMatchObject({ attempts: 1, gated: true });
      expect(plan.nodes[2]!.retry).toMatchObject({ attempts: 3, gated: false });
    });

    it("computes the flow's determinism: the weakest node, and a write caps it at best_effort", () => {
      const spec = (effect: NodeKindSpec["effect"], determinism: NodeKindSpec["determinism"]) => ({
        effect,
        determinism,
      });
      expect(flowDeterminism([spec("pure", "strict"), spec("read", "stable")])).toBe("stable");
      expect(flowDeterminism([spec("pure", "strict"), spec("write", "strict")])).toBe("best_effort");
      expect(flowDeterminism([spec("external", "nondeterministic")])).toBe("nondeterministic");
      expect(planOf([node("a", "transform")]).determinism).toBe("strict");
      expect(planOf([node("a", "http.fetch")])).toMatchObject({
        determinism: "nondeterministic",
        effect: "external",
      });
      const mapOfFetch = planOf([
        node("m", "map", { inputs: { items: [] }, config: { node: { kind: "http.fetch" } } }),
      ]);
      expect(mapOfFetch).toMatchObject({ determinism: "nondeterministic", effect: "external" });
    });

    it("derives edges from references in inputs, config, when and templates, and from `after`", () => {
      const plan = planOf([
        node("a", "transform"),
        node("b", "transform", { config: { value: "${{ nodes.a.out }}" } }),
        node("c", "transform", { when: "nodes.b.out != null" }),
        node("d", "map", {
          inputs: { items: [] },
          config: { node: { kind: "transform", inputs: { x: "${{ nodes.c.out }}" } } },
        }),
        node("e", "transform", { after: ["d"] }),
      ]);
      expect(plan.roots).toEqual([0]);
      expect(plan.nodes.map((n) => n.waitCount)).toEqual([0, 1, 1, 1, 1]);
      expect(plan.nodes[3]!.releaseAtEnd).toEqual([4]);
      expect(plan.nodes[3]!.releaseAtOutput).toEqual([]);
    });

    it("leaves the document untouched and freezes literal inputs", () => {
      const doc = flow([node("a", "transform", { inputs: { list: [1, 2] } })]);
      const plan = createPlan(doc);
      expect(Object.isFrozen(doc.nodes[0]!.inputs!.list)).toBe(false);
      expect(Object.isFrozen(plan.nodes[0]!.constantInputs!.list)).toBe(true);
    });

    it("unescapes $${{ in literals", () => {
      const plan = planOf([node("a", "transform", { inputs: { s: "cost: $${{ not an expression }}" } })]);
      expect(plan.nodes[0]!.constantInputs).toEqual({ s: "cost: ${{ not an expression }}" });
    });
  });
}
