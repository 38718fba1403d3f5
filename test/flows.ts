import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HTTP_KIND_SPECS } from "../capabilities/http/declaration.ts";
import type { CompiledValidator, FlowSource } from "../flows/index.ts";
import type { JsonSchema, KindCatalog, NodeKindSpec } from "../flows/kinds/spec.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";

/** Helpers for the tests of flows/load, flows/validate and the CLI (Node only). */

export const ROOT = join(import.meta.dirname, "..");
export const FIXTURES = join(ROOT, "flows", "validate", "fixtures");

/** Reads every file of a fixture folder, sorted by name. */
export function readFixtures(folder: "valid" | "invalid"): FlowSource[] {
  const dir = join(FIXTURES, folder);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ file: name, text: readFileSync(join(dir, name), "utf8") }));
}

const bindingSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: { binding: { type: "string" } },
};

/** A hand-written validator of `{ binding?: string }` (tests must not generate code either). */
export const bindingOnly: CompiledValidator = Object.assign(
  (data: unknown): boolean => {
    const errors = [];
    const config = data as Record<string, unknown>;
    for (const key of Object.keys(config)) {
      if (key !== "binding") {
        errors.push({
          instancePath: "",
          schemaPath: "#/additionalProperties",
          keyword: "additionalProperties",
          params: { additionalProperty: key },
        });
      }
    }
    if (config.binding !== undefined && typeof config.binding !== "string") {
      errors.push({
        instancePath: "/binding",
        schemaPath: "#/properties/binding/type",
        keyword: "type",
        params: { type: "string" },
      });
    }
    bindingOnly.errors = errors.length ? errors : null;
    return errors.length === 0;
  },
  { errors: null },
);

const capability = (
  kind: string,
  effect: NodeKindSpec["effect"],
  needs: NodeKindSpec["needs"],
): NodeKindSpec => ({
  kind,
  description: `test kind ${kind}`,
  effect,
  determinism: effect === "read" ? "stable" : "strict",
  inputs: { key: { required: true }, value: {} },
  outputs: { out: {} },
  configSchema: bindingSchema,
  needs,
});

/** Capability-like kinds (not in the build) for binding and effect tests, with their validators. */
export const TEST_KINDS: KindCatalog = Object.freeze({
  "kv.get": capability("kv.get", "read", ["kv"]),
  "kv.put": capability("kv.put", "write", ["kv"]),
  "queue.send": capability("queue.send", "write", ["queue"]),
});

export const TEST_CATALOG: KindCatalog = Object.freeze({
  ...BUILTIN_KIND_SPECS,
  ...HTTP_KIND_SPECS,
  ...TEST_KINDS,
});
export const TEST_VALIDATORS = { "kv.get": bindingOnly, "kv.put": bindingOnly, "queue.send": bindingOnly };

/** The codes documented under "Validation codes" in impl-docs/errors.md. */
export function documentedCodes(): Set<string> {
  const md = readFileSync(join(ROOT, "impl-docs", "errors.md"), "utf8");
  const section = md.slice(md.indexOf("## Validation codes"));
  const end = section.indexOf("\n## ", 4);
  const body = end === -1 ? section : section.slice(0, end);
  return new Set([...body.matchAll(/^\| `(FLOW_[A-Z_]+)` \|/gm)].map((m) => m[1]!));
}
