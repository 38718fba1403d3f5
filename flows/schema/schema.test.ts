import { describe, expect, it } from "vitest";
import { FLOW_SCHEMA_ID, flowSchema } from "../generated/validators.js";
import type {
  BindingDecl,
  CronTrigger,
  FlowDefaults,
  FlowDocument,
  FlowParam,
  GithubTrigger,
  HttpTrigger,
  MetricsPolicy,
  NodeDecl,
  QueueTrigger,
  RetryPolicyDecl,
  RunsPolicy,
} from "../ir/types.ts";
import schemaFile from "./flow.v1.json" with { type: "json" };

/**
 * The schema must match flows/ir/types.ts exactly. These key lists are checked against the types at compile
 * time (`Keys<T>` fails unless it names every key of T and nothing else) and against the schema here.
 */
type Exact<T, K extends readonly string[]> = [
  Exclude<keyof T, K[number]>,
  Exclude<K[number], keyof T>,
] extends [never, never]
  ? K
  : never;
const keys =
  <T>() =>
  <const K extends readonly string[]>(k: Exact<T, K>): readonly string[] =>
    k;

type Schema = { properties?: Record<string, unknown>; required?: string[]; oneOf?: Schema[]; $ref?: string };
const defs = (schemaFile as unknown as { $defs: Record<string, Schema> }).$defs;
const props = (s: Schema) => Object.keys(s.properties ?? {}).sort();
const branch = (type: string) =>
  defs.binding!.oneOf!.find((b) => (b.properties!.type as { const: string }).const === type)!;

describe("flow.v1.json", () => {
  it("has a versioned $id, also in the generated validators", () => {
    expect(schemaFile.$id).toBe("https://flows.dev/schema/flow.v1.json");
    expect(FLOW_SCHEMA_ID).toBe(schemaFile.$id);
    expect((flowSchema as { $id: string }).$id).toBe(schemaFile.$id);
  });

  it("has exactly the fields of the IR types", () => {
    const cases: [Schema, readonly string[]][] = [
      [
        schemaFile as Schema,
        keys<FlowDocument>()([
          "flows",
          "id",
          "version",
          "description",
          "params",
          "bindings",
          "triggers",
          "nodes",
          "defaults",
          "output",
          "runs",
          "metrics",
          "durable",
        ]),
      ],
      [
        defs.node!,
        keys<NodeDecl>()([
          "id",
          "kind",
          "description",
          "inputs",
          "config",
          "after",
          "when",
          "retry",
          "timeout",
          "idempotencyKey",
        ]),
      ],
      [
        defs.retry!,
        keys<RetryPolicyDecl>()(["attempts", "backoff", "delay", "maxDelay", "jitter", "idempotent"]),
      ],
      [defs.defaults!, keys<FlowDefaults>()(["timeout", "deadline", "retry"])],
      [defs.runs!, keys<RunsPolicy>()(["record", "retention", "maxRuns"])],
      [defs.metrics!, keys<MetricsPolicy>()(["binding", "sample", "failures"])],
      [defs.param!, keys<FlowParam>()(["description", "default", "enum", "binding"])],
      [
        defs.httpTrigger!,
        keys<HttpTrigger>()([
          "id",
          "type",
          "method",
          "path",
          "response",
          "maxBodySize",
          "body",
          "onDisconnect",
        ]),
      ],
      [
        defs.queueTrigger!,
        keys<QueueTrigger>()([
          "id",
          "type",
          "queue",
          "batchSize",
          "batchTimeout",
          "maxRetries",
          "retryDelay",
          "deadLetterQueue",
        ]),
      ],
      [defs.cronTrigger!, keys<CronTrigger>()(["id", "type", "schedule"])],
      [
        defs.githubTrigger!,
        keys<GithubTrigger>()(["id", "type", "events", "path", "secret", "ack", "queue"]),
      ],
      [branch("kv"), keys<Extract<BindingDecl, { type: "kv" }>>()(["type", "description"])],
      [branch("r2"), keys<Extract<BindingDecl, { type: "r2" }>>()(["type", "bucket", "description"])],
      [branch("queue"), keys<Extract<BindingDecl, { type: "queue" }>>()(["type", "queue", "description"])],
      [
        branch("durableObject"),
        keys<Extract<BindingDecl, { type: "durableObject" }>>()(["type", "className", "description"]),
      ],
      [branch("var"), keys<Extract<BindingDecl, { type: "var" }>>()(["type", "value", "description"])],
      [branch("secret"), keys<Extract<BindingDecl, { type: "secret" }>>()(["type", "description"])],
    ];
    for (const [schema, fields] of cases) expect(props(schema)).toEqual([...fields].sort());
  });

  it("requires exactly the fields the types require", () => {
    expect([...(schemaFile as Schema).required!].sort()).toEqual([
      "flows",
      "id",
      "nodes",
      "triggers",
      "version",
    ]);
    expect([...defs.node!.required!].sort()).toEqual(["id", "kind"]);
    expect(defs.param!.required).toEqual(["default"]);
    expect(defs.retry!.required).toEqual(["attempts"]);
    expect([...defs.httpTrigger!.required!].sort()).toEqual(["method", "path", "type"]);
    expect([...defs.queueTrigger!.required!].sort()).toEqual(["queue", "type"]);
    expect([...defs.cronTrigger!.required!].sort()).toEqual(["schedule", "type"]);
    expect([...defs.githubTrigger!.required!].sort()).toEqual(["events", "type"]);
  });

  it("closes every object with fixed fields (additionalProperties: false) and describes its fields", () => {
    const walk = (s: unknown, path: string): void => {
      if (!s || typeof s !== "object") return;
      const o = s as Record<string, unknown>;
      if (o.properties && path !== "") {
        const isMap = ["inputs", "config"].some((k) => path.endsWith(`/${k}`));
        if (!isMap) expect(o.additionalProperties, path).toBe(false);
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(schemaFile, "#");
    for (const [name, field] of Object.entries(defs.node!.properties!)) {
      if (name !== "description") expect((field as { description?: string }).description, name).toBeTruthy();
    }
  });
});
