import { describe, expect, it } from "vitest";
import type { FlowDocument } from "../ir/types.ts";
import { instantiateFlow } from "./index.ts";

const flow = (extra: Partial<FlowDocument> = {}): FlowDocument => ({
  flows: 1,
  id: "hook",
  version: "1.0.0",
  params: {
    path: { default: "/hooks" },
    secret: { default: "HOOK_SECRET", binding: { type: "secret" } },
    queueName: { default: "events" },
    queue: { default: "EVENTS", binding: { type: "queue", queue: "${{ params.queueName }}" } },
    ack: { default: "sync", enum: ["sync", "queue"] },
    routes: { default: [] },
  },
  bindings: {
    ACK: { type: "var", value: "${{ params.ack }}" },
    ROUTES: { type: "var", value: "${{ params.routes }}" },
  },
  triggers: [
    { type: "http", method: "POST", path: "${{ params.path }}" },
    { type: "queue", queue: "${{ params.queueName }}", deadLetterQueue: "${{ params.queueName }}-dlq" },
  ],
  nodes: [
    { id: "verify", kind: "github.webhook.verify", config: { secret: "${{ params.secret }}" } },
    { id: "say", kind: "transform", inputs: { text: "ack ${{ params.ack }} for ${{ trigger.body.name }}" } },
  ],
  ...extra,
});

describe("instantiateFlow", () => {
  it("puts the defaults in place: whole references take the value, references inside text its text", () => {
    const { document, issues } = instantiateFlow(flow());
    expect(issues).toEqual([]);
    expect(document.triggers).toEqual([
      { type: "http", method: "POST", path: "/hooks" },
      { type: "queue", queue: "events", deadLetterQueue: "events-dlq" },
    ]);
    expect(document.bindings).toEqual({
      ACK: { type: "var", value: "sync" },
      ROUTES: { type: "var", value: [] },
      HOOK_SECRET: { type: "secret" },
      EVENTS: { type: "queue", queue: "events" },
    });
    expect(document.nodes[0]?.config).toEqual({ secret: "HOOK_SECRET" });
    // Only parameter references are replaced: the CEL expression beside one stays for the planner.
    expect(document.nodes[1]?.inputs).toEqual({ text: "ack sync for ${{ trigger.body.name }}" });
  });

  it("takes the values given, declares binding parameters' bindings under their names, and leaves `doc` alone", () => {
    const source = flow();
    const before = structuredClone(source);
    const routes = [{ flow: "a", trigger: "github", events: ["push"] }];
    const { document, issues } = instantiateFlow(source, {
      secret: "OTHER_SECRET",
      queue: "HOOKS",
      queueName: "gh-events",
      ack: "queue",
      routes,
    });
    expect(issues).toEqual([]);
    expect(source).toEqual(before);
    expect(Object.keys(document.bindings ?? {}).sort()).toEqual(["ACK", "HOOKS", "OTHER_SECRET", "ROUTES"]);
    expect(document.bindings?.HOOKS).toEqual({ type: "queue", queue: "gh-events" });
    expect(document.bindings?.ROUTES).toEqual({ type: "var", value: routes });
    expect(document.nodes[0]?.config).toEqual({ secret: "OTHER_SECRET" });
    expect(document.triggers[1]).toMatchObject({ queue: "gh-events", deadLetterQueue: "gh-events-dlq" });
    // The instance records its values as its defaults: instantiating it again changes nothing.
    expect(document.params?.secret).toEqual({ default: "OTHER_SECRET", binding: { type: "secret" } });
    expect(document.params?.queue?.binding).toEqual({ type: "queue", queue: "gh-events" });
    expect(instantiateFlow(document)).toMatchObject({ document, issues: [] });
  });

  it("reports values the flow does not declare, values outside enum, binding names that are not, unknown references", () => {
    const bad = instantiateFlow(
      flow({
        nodes: [
          { id: "a", kind: "transform", inputs: { x: "${{ params.nope }}", y: "id ${{ params.gone }}" } },
        ],
      }),
      { ack: "later", secret: "lower-case", extra: 1 },
    );
    expect(bad.issues).toEqual([
      {
        code: "FLOW_PARAM_UNKNOWN",
        pointer: "/params",
        message:
          "the flow has no parameter `extra` (its parameters: `path`, `secret`, `queueName`, `queue`, `ack`, `routes`)",
      },
      {
        code: "FLOW_PARAM_INVALID",
        pointer: "/params",
        message:
          'parameter `secret` names a binding: it must be UPPER_SNAKE_CASE like `GITHUB_WEBHOOK_SECRET`, got "lower-case"',
      },
      {
        code: "FLOW_PARAM_INVALID",
        pointer: "/params",
        message: 'parameter `ack` is "later"; it must be one of "sync", "queue"',
      },
      {
        code: "FLOW_PARAM_UNKNOWN",
        pointer: "/nodes/0/inputs/x",
        index: 0,
        message: "`params.nope` is not a parameter of this flow: declare it under `params`",
      },
      {
        code: "FLOW_PARAM_UNKNOWN",
        pointer: "/nodes/0/inputs/y",
        index: 3,
        message: "`params.gone` is not a parameter of this flow: declare it under `params`",
      },
    ]);
    // A reference that could not be resolved stays as written (the validator then reports it as well).
    expect(bad.document.nodes[0]?.inputs).toEqual({ x: "${{ params.nope }}", y: "id ${{ params.gone }}" });
  });

  it("refuses a list inside text, a default that refers to a parameter, and a binding declared twice differently", () => {
    const { issues } = instantiateFlow(
      flow({
        params: {
          routes: { default: [] },
          copy: { default: "${{ params.routes }}" },
          secret: { default: "S", binding: { type: "secret" } },
        },
        bindings: { S: { type: "kv" } },
        triggers: [],
        nodes: [{ id: "a", kind: "transform", inputs: { x: "routes: ${{ params.routes }}" } }],
      }),
    );
    expect(issues.map((i) => [i.code, i.pointer, i.message])).toEqual([
      [
        "FLOW_PARAM_INVALID",
        "/params/copy/default",
        "the default of parameter `copy` refers to a parameter: a default is a plain value",
      ],
      [
        "FLOW_PARAM_INVALID",
        "/nodes/0/inputs/x",
        "parameter `routes` is not a string, number or boolean: it can only stand alone as the whole value, not inside text",
      ],
      [
        "FLOW_PARAM_INVALID",
        "/params/secret",
        "parameter `secret` declares binding `S`, which `bindings` declares differently",
      ],
    ]);
  });

  it("maps the pointer of a binding a parameter declared back to the parameter", () => {
    const { sourcePointer } = instantiateFlow(flow(), { secret: "A_B" });
    expect(sourcePointer("/bindings/A_B/type")).toBe("/params/secret/binding/type");
    expect(sourcePointer("/bindings/ACK/value")).toBe("/bindings/ACK/value");
    expect(sourcePointer("/nodes/0/config/secret")).toBe("/nodes/0/config/secret");
  });

  it("returns a flow without parameters as it is", () => {
    const { params: _, ...plain } = flow();
    const doc = plain as FlowDocument;
    expect(instantiateFlow(doc).document).toBe(doc);
  });
});
