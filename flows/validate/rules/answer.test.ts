import { describe, expect, it } from "vitest";
import { BUILTIN_KIND_SPECS } from "../../../kernel/kinds/specs.ts";
import { validateFlows } from "../index.ts";

/** The FLOW_OUTPUT_MAY_BE_SKIPPED messages of a flow answering `POST /x` with these nodes (YAML) and `output`. */
function skipWarnings(
  nodes: string,
  output?: string,
  trigger = "{ type: http, method: POST, path: /x }",
): string[] {
  const text = `flows: 1\nid: f\nversion: 1.0.0\ntriggers: [${trigger}]\nnodes:\n${nodes}${output ? `output: ${output}\n` : ""}`;
  const result = validateFlows([{ file: "f.yaml", text }], BUILTIN_KIND_SPECS);
  const others = result.diagnostics.filter((d) => d.code !== "FLOW_OUTPUT_MAY_BE_SKIPPED");
  if (others.length > 0) throw new Error(others.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return result.diagnostics.map((d) => d.message);
}

const CHECK = `  - { id: check, kind: condition, inputs: { value: "\${{ trigger.body.n }}" }, config: { when: "input.value > 3" } }\n`;

describe("FLOW_OUTPUT_MAY_BE_SKIPPED", () => {
  it("warns of an answer behind a `when`, and names it", () => {
    expect(
      skipWarnings(
        `  - { id: find, kind: transform, when: "trigger.body.go", inputs: { x: 1 } }\n  - { id: reply, kind: respond, inputs: { body: "\${{ nodes.find.out }}" } }\n`,
      ),
    ).toEqual([
      "the answer, node `reply`, runs only when `find`'s `when` is true: otherwise it is skipped and the request is answered 500 NO_RESPONSE",
    ]);
  });

  it("warns of an answer on one port of a condition, and not once the other port is answered through a merge", () => {
    expect(
      skipWarnings(`${CHECK}  - { id: big, kind: respond, inputs: { body: "\${{ nodes.check.then }}" } }\n`),
    ).toEqual([
      "the answer, node `big`, runs only when `check` takes `then`: otherwise it is skipped and the request is answered 500 NO_RESPONSE",
    ]);
    const both = `${CHECK}  - { id: big, kind: transform, inputs: { n: "\${{ nodes.check.then }}" } }\n  - { id: small, kind: transform, inputs: { n: "\${{ nodes.check.else }}" } }\n  - { id: answer, kind: merge, config: { mode: first }, inputs: { big: "\${{ nodes.big.out }}", small: "\${{ nodes.small.out }}" } }\n`;
    expect(skipWarnings(both, "answer")).toEqual([]);
  });

  it("follows nested conditions: all four leaves answered is quiet, three of four warns", () => {
    const inner = (id: string, port: string) =>
      `  - { id: ${id}, kind: condition, inputs: { value: "\${{ nodes.check.${port} }}" }, config: { when: "input.value > 9" } }\n`;
    const leaf = (id: string, from: string, port: string) =>
      `  - { id: ${id}, kind: transform, inputs: { v: "\${{ nodes.${from}.${port} }}" } }\n`;
    const nodes = `${CHECK}${inner("hi", "then")}${inner("lo", "else")}${leaf("a", "hi", "then")}${leaf("b", "hi", "else")}${leaf("c", "lo", "then")}${leaf("d", "lo", "else")}`;
    const merge = (ids: string[]) =>
      `  - { id: answer, kind: merge, config: { mode: first }, inputs: { ${ids.map((i) => `${i}: "\${{ nodes.${i}.out }}"`).join(", ")} } }\n`;
    expect(skipWarnings(nodes + merge(["a", "b", "c", "d"]), "answer")).toEqual([]);
    expect(skipWarnings(nodes + merge(["a", "b", "c"]), "answer")).toEqual([
      "the answer, node `answer`, runs only when `check` takes `then`, or when `check` takes `else` and `lo` takes `then`: otherwise it is skipped and the request is answered 500 NO_RESPONSE",
    ]);
  });

  it("takes a `fail` node on the other side of the answer's `when` (`==` and `!=`, `x` and `!x`) as answering", () => {
    const pair = (yes: string, no: string) =>
      skipWarnings(
        `  - { id: found, kind: respond, when: "${yes}", inputs: { body: 1 } }\n  - { id: missing, kind: fail, when: "${no}", config: { code: GONE, status: 404 }, inputs: { message: gone } }\n`,
        "found",
      );
    expect(pair("trigger.body.x != null", "${{ trigger.body.x == null }}")).toEqual([]);
    expect(pair("trigger.body.ok", "!trigger.body.ok")).toEqual([]);
    expect(pair("!(trigger.body.ok)", "trigger.body.ok")).toEqual([]);
    // Not the same expression: `x == 'ok'` and `x == 'missing'` leave the other values unanswered.
    expect(pair("trigger.body.s == 'ok'", "trigger.body.s == 'missing'")).toHaveLength(1);
    expect(pair("trigger.body.a && trigger.body.b", "!(trigger.body.a && trigger.body.b)")).toHaveLength(1);
  });

  it("warns of a switch without `default`, which may take no port, but not of one with it", () => {
    const sw = (extra: string) =>
      `  - { id: pick, kind: switch, inputs: { value: "\${{ trigger.body.n }}" }, config: { cases: [{ port: one, when: "input.value == 1" }]${extra} } }\n  - { id: a, kind: transform, inputs: { v: "\${{ nodes.pick.one }}" } }\n  - { id: b, kind: transform, inputs: { v: "\${{ nodes.pick.other }}" } }\n  - { id: answer, kind: merge, config: { mode: first }, inputs: { a: "\${{ nodes.a.out }}", b: "\${{ nodes.b.out }}" } }\n`;
    expect(skipWarnings(sw(", default: other"), "answer")).toEqual([]);
    const noDefault = `  - { id: pick, kind: switch, inputs: { value: "\${{ trigger.body.n }}" }, config: { cases: [{ port: one, when: "input.value == 1" }, { port: other, when: "input.value != 1" }] } }\n  - { id: a, kind: transform, inputs: { v: "\${{ nodes.pick.one }}" } }\n  - { id: b, kind: transform, inputs: { v: "\${{ nodes.pick.other }}" } }\n  - { id: answer, kind: merge, config: { mode: first }, inputs: { a: "\${{ nodes.a.out }}", b: "\${{ nodes.b.out }}" } }\n`;
    expect(skipWarnings(noDefault, "answer")).toHaveLength(1);
  });

  it("says nothing of a flow that answers no HTTP request, or streams SSE", () => {
    const gated = `  - { id: find, kind: transform, when: "trigger.go", inputs: { x: 1 } }\n`;
    expect(skipWarnings(gated, "find", "{ type: cron, schedule: '0 * * * *' }")).toEqual([]);
    expect(skipWarnings(gated, "find", "{ type: http, method: GET, path: /s, response: sse }")).toEqual([]);
  });
});
