import { describe, expect, it } from "vitest";
import { BUILTIN_KINDS, createPlan, createRegistry, runFlow } from "../../../kernel/index.ts";
import { GITHUB_WEBHOOK_KINDS } from "./index.ts";

const registry = createRegistry(BUILTIN_KINDS, GITHUB_WEBHOOK_KINDS);

/** Runs `github.webhook.match` on a delivery `event`/`action`; returns its outputs. */
async function match(routes: unknown[], event: string, action: string | null) {
  const plan = createPlan(
    {
      flows: 1,
      id: "m",
      version: "1.0.0",
      triggers: [],
      nodes: [
        {
          id: "m",
          kind: "github.webhook.match",
          inputs: { event: { event, action }, routes: routes as never },
        },
      ],
    },
    { registry },
  );
  let outputs: unknown;
  const result = await runFlow(plan, {
    onEvent: (e) => {
      if (e.type === "node.output") outputs = e.outputs;
    },
  });
  expect(result.status).toBe("ok");
  return outputs;
}

describe("github.webhook.match", () => {
  const routes = [
    { flow: "label", trigger: "github", events: ["issues.opened"], pure: true },
    { flow: "notify", trigger: "github", events: ["issues"] },
    { flow: "count", trigger: "github", events: ["push"], pure: true },
  ];

  it("gives the targets, and `pure` true only when every flow picked is pure", async () => {
    expect(await match(routes, "issues", "opened")).toEqual({
      out: [
        { flow: "label", trigger: "github" },
        { flow: "notify", trigger: "github" },
      ],
      pure: false,
    });
    expect(await match(routes, "push", null)).toEqual({
      out: [{ flow: "count", trigger: "github" }],
      pure: true,
    });
    // Nothing to run has no effect either.
    expect(await match(routes, "star", "created")).toEqual({ out: [], pure: true });
  });
});
