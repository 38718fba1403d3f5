import type { CompiledExpression } from "../../flows/expr/index.ts";
import type { Json } from "../../flows/ir/types.ts";
import { FlowError } from "../errors.ts";
import { BUILTIN_KIND_SPECS, KIND_CONDITION, KIND_SWITCH } from "./specs.ts";
import type { NodeContext, NodeKind } from "./types.ts";

/**
 * `condition` and `switch`. Their `when` fields are CEL expressions, bare (`input.value > 3`) or in `${{ }}`,
 * with `input` (the node's inputs) in scope; they are compiled with the plan and evaluated lazily, in order,
 * so a later case may assume that earlier ones were false.
 */

function test(ctx: NodeContext, expression: CompiledExpression, path: string): boolean {
  const value = ctx.evaluate(expression);
  if (typeof value === "boolean") return value;
  throw new FlowError(
    "EXPRESSION_FAILED",
    `node \`${ctx.nodeId}\` ${path}: must be a boolean, got ${typeof value}`,
    {
      nodeId: ctx.nodeId,
      details: { nodeId: ctx.nodeId, path },
    },
  );
}

const inputValue = (ctx: NodeContext): unknown => ("value" in ctx.inputs ? ctx.inputs.value : null);

export const conditionKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_CONDITION]!,
  prepare: (config, compiler) => compiler.expression(String(config.when), "config.when"),
  run: (ctx) => {
    const when = ctx.prepared as CompiledExpression;
    const value = inputValue(ctx);
    // biome-ignore lint/suspicious/noThenProperty: `then` is the port name the spec declares.
    return test(ctx, when, "config.when") ? { then: value } : { else: value };
  },
};

interface SwitchPlan {
  cases: { port: string; when: CompiledExpression }[];
  default: string | undefined;
}

export const switchKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_SWITCH]!,
  prepare: (config, compiler): SwitchPlan => {
    const cases = Array.isArray(config.cases) ? config.cases : [];
    return {
      cases: cases.map((c, i) => {
        const entry = (c ?? {}) as { [key: string]: Json };
        return {
          port: String(entry.port),
          when: compiler.expression(String(entry.when), `config.cases.${i}.when`),
        };
      }),
      default: typeof config.default === "string" ? config.default : undefined,
    };
  },
  run: (ctx) => {
    const plan = ctx.prepared as SwitchPlan;
    for (let i = 0; i < plan.cases.length; i++) {
      const c = plan.cases[i]!;
      if (test(ctx, c.when, `config.cases.${i}.when`)) return { [c.port]: inputValue(ctx) };
    }
    return plan.default === undefined ? {} : { [plan.default]: inputValue(ctx) };
  },
};
