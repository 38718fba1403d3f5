import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import {
  builtinFlowDocument,
  GITHUB_WEBHOOK_FLOW_FILE,
  GITHUB_WEBHOOK_QUEUE_FLOW_FILE,
} from "../../flows/builtin/index.ts";
import { validateFlows } from "../../flows/index.ts";
import { parseSize } from "../../flows/units/size.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../../hosts/workers/body.ts";
import { resolveRetry } from "../../kernel/retry.ts";
import { defaultCatalog } from "../catalog.ts";
import { readFlowFiles } from "../files.ts";
import { editorSchema } from "./editor-schema.ts";
import { SCHEMA_FILE } from "./validators.ts";

// biome-ignore lint/suspicious/noExplicitAny: the test walks plain JSON Schema data.
type Schema = Record<string, any>;

const base = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Schema;
const catalog = defaultCatalog();
const schema = editorSchema(base, catalog) as Schema;
const node = schema.$defs.node as Schema;

/** What an editor offers for `kind:`: the `const` values under the kind property. */
const kindCompletions = (): string[] =>
  (node.properties.kind.anyOf as Schema[]).filter((s) => "const" in s).map((s) => s.const as string);

/** The `then` schema that applies to a node of this kind (walking `allOf` / `if` as an editor does). */
const ruleFor = (kind: string): Schema =>
  (node.allOf as Schema[]).find((r) => r.if.properties.kind.const === kind)!.then.properties;

describe("the editor schema", () => {
  it("completes every kind of the catalog as a `kind` value, with its description", () => {
    expect(kindCompletions()).toEqual(Object.keys(catalog).sort());
    expect(kindCompletions()).toEqual(
      expect.arrayContaining(["transform", "respond", "kv.get", "http.fetch"]),
    );
    const kv = (node.properties.kind.anyOf as Schema[]).find((s) => s.const === "kv.get")!;
    expect(kv.description).toBe(catalog["kv.get"]!.description);
  });

  it("completes a kind's config keys and input ports, with its default timeout", () => {
    const kv = ruleFor("kv.get");
    expect(Object.keys(kv.config.properties)).toEqual(["binding", "type", "cacheTtl"]);
    expect(kv.config.properties.type.enum).toEqual(["text", "json", "arrayBuffer", "stream"]);
    expect(Object.keys(kv.inputs.properties)).toEqual(["key"]);
    expect(kv.inputs.required).toEqual(["key"]);
    expect(kv.inputs.additionalProperties).toBe(false);
    expect(kv.timeout).toEqual({ default: "10s" });
    expect(Object.keys(ruleFor("http.fetch").inputs.properties)).toEqual([
      "url",
      "method",
      "headers",
      "body",
    ]);
    // A kind that takes any input port (`transform`) does not refuse unknown ones.
    expect(ruleFor("transform").inputs.additionalProperties).toBeUndefined();
  });

  it("has the defaults the runtime applies: retry policy, deadline, body size, trigger modes", () => {
    const settings = resolveRetry({ attempts: 2 }, "pure", false);
    const retry = schema.$defs.retry.properties as Schema;
    expect(retry.backoff.default).toBe(settings.backoff);
    expect([retry.delay.default, retry.maxDelay.default]).toEqual(["200ms", "30s"]);
    expect(settings.delayMs).toBe(200);
    expect(settings.maxDelayMs).toBe(30_000);
    expect(retry.jitter.default).toBe(settings.jitter);
    expect(schema.$defs.defaults.properties.deadline.default).toBe("25s");
    expect(schema.$defs.httpTrigger.properties.maxBodySize.default).toBe("1mb");
    expect(parseSize(schema.$defs.httpTrigger.properties.maxBodySize.default)).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(schema.$defs.httpTrigger.properties.response.default).toBe("json");
    expect(schema.$defs.githubTrigger.properties.path.default).toBe("/api/github/webhooks");
    expect(schema.$defs.queueTrigger.properties.retryDelay.default).toBe("5s");
  });

  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, discriminator: true });
  const validate = ajv.compile(schema);

  it("accepts every flow of the examples and fixtures that the validator accepts", async () => {
    const sources = await readFlowFiles([
      "examples",
      "flows/validate/fixtures/valid",
      "cli/run/fixtures",
      "cli/graph/fixtures",
      "cli/package/fixtures/all-bindings/flows",
      "flows/builtin",
    ]);
    const valid = validateFlows(sources, catalog).flows.filter((f) => f.ok);
    expect(valid.length).toBeGreaterThan(20);
    for (const flow of valid) {
      expect(validate(flow.document) ? [] : validate.errors, flow.file).toEqual([]);
    }
  });

  it("accepts the built-in webhook flows as written, parameter references where strings have a shape", () => {
    for (const file of [GITHUB_WEBHOOK_FLOW_FILE, GITHUB_WEBHOOK_QUEUE_FLOW_FILE]) {
      const doc = builtinFlowDocument(file);
      expect(JSON.stringify(doc)).toContain("${{ params.");
      expect(validate(doc) ? [] : validate.errors, file).toEqual([]);
    }
    const flow = (path: string) => ({
      flows: 1,
      id: "p",
      version: "1.0.0",
      triggers: [{ type: "http", method: "POST", path }],
      nodes: [{ id: "a", kind: "transform" }],
    });
    expect(validate(flow("${{ params.path }}"))).toBe(true);
    expect(validate(flow("no-slash"))).toBe(false);
    // Keys keep their shape: a binding name is not a parameter reference.
    expect(validate({ ...flow("/x"), bindings: { "${{ params.x }}": { type: "secret" } } })).toBe(false);
  });

  it("marks a config key a kind does not have, and a missing required input, at the node", () => {
    const doc = {
      flows: 1,
      id: "editor",
      version: "1.0.0",
      triggers: [],
      nodes: [{ id: "read", kind: "kv.get", config: { typ: "json" }, inputs: {} }],
    };
    expect(validate(doc)).toBe(false);
    const errors = (validate.errors ?? []).map((e) => [e.instancePath, e.keyword, e.params]);
    expect(errors).toEqual(
      expect.arrayContaining([
        ["/nodes/0/config", "additionalProperties", { additionalProperty: "typ" }],
        ["/nodes/0/inputs", "required", { missingProperty: "key" }],
      ]),
    );
  });
});
