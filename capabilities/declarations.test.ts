import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../cli/catalog.ts";
import type { BindingDecl, TriggerDecl } from "../flows/ir/types.ts";
import { validateFlows } from "../flows/validate/index.ts";
import { CAPABILITY_CODES } from "./codes.ts";
import { mergeWrangler } from "./declaration.ts";
import { BUILTIN_CAPABILITY_REGISTRY, CAPABILITY_DECLARATIONS } from "./declarations.ts";
import { KV_DECLARATION } from "./kv/declaration.ts";
import { QUEUES_DECLARATION } from "./queues/declaration.ts";
import { R2_DECLARATION } from "./r2/declaration.ts";

const bindings: Record<string, BindingDecl> = {
  FLOW_KV: { type: "kv" },
  CACHE: { type: "kv" },
  FILES: { type: "r2", bucket: "files" },
  JOBS: { type: "queue", queue: "jobs" },
  DLQ: { type: "queue", queue: "jobs-dlq" },
  TOKEN: { type: "secret" },
};

const triggers: TriggerDecl[] = [
  { type: "http", method: "GET", path: "/" },
  {
    type: "queue",
    queue: "jobs",
    batchSize: 25,
    batchTimeout: "2s",
    maxRetries: 4,
    retryDelay: "1m",
    deadLetterQueue: "jobs-dlq",
  },
  { type: "queue", queue: "other" },
];

describe("capability declarations give the wrangler bindings a flow needs", () => {
  it("KV: one kv_namespaces entry per kv binding, with a placeholder id", () => {
    expect(KV_DECLARATION.wrangler(bindings)).toEqual({
      kv_namespaces: [
        { binding: "FLOW_KV", id: "flow-kv" },
        { binding: "CACHE", id: "cache" },
      ],
    });
  });

  it("R2: one r2_buckets entry per r2 binding, with its bucket", () => {
    expect(R2_DECLARATION.wrangler(bindings)).toEqual({
      r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
    });
  });

  it("Queues: a producer per queue binding and a consumer per queue trigger, durations in seconds", () => {
    expect(QUEUES_DECLARATION.wrangler(bindings, triggers)).toEqual({
      queues: {
        producers: [
          { binding: "JOBS", queue: "jobs" },
          { binding: "DLQ", queue: "jobs-dlq" },
        ],
        consumers: [
          {
            queue: "jobs",
            max_batch_size: 25,
            max_batch_timeout: 2,
            max_retries: 4,
            retry_delay: 60,
            dead_letter_queue: "jobs-dlq",
          },
          { queue: "other" },
        ],
      },
    });
  });

  it("gives nothing for a flow without bindings of its type", () => {
    for (const declaration of CAPABILITY_DECLARATIONS)
      expect(declaration.wrangler({ TOKEN: { type: "secret" } }, [])).toEqual({});
  });

  it("merges fragments, keeping each binding and consumed queue once", () => {
    const one = [KV_DECLARATION, R2_DECLARATION, QUEUES_DECLARATION].map((d) =>
      d.wrangler(bindings, triggers),
    );
    const merged = mergeWrangler([...one, ...one]);
    expect(merged.kv_namespaces).toHaveLength(2);
    expect(merged.r2_buckets).toHaveLength(1);
    expect(merged.queues?.producers).toHaveLength(2);
    expect(merged.queues?.consumers).toHaveLength(2);
  });
});

describe("capability kind specs", () => {
  const ours = [KV_DECLARATION, R2_DECLARATION, QUEUES_DECLARATION];

  it("declare the 15 KV, R2 and Queues kinds, named after their capability", () => {
    const names = ours.flatMap((d) => Object.keys(d.kinds));
    expect(names).toEqual([
      "kv.get",
      "kv.put",
      "kv.delete",
      "kv.list",
      "r2.get",
      "r2.head",
      "r2.put",
      "r2.delete",
      "r2.list",
      "r2.multipart.create",
      "r2.multipart.uploadPart",
      "r2.multipart.complete",
      "r2.multipart.abort",
      "queues.send",
      "queues.sendBatch",
    ]);
    for (const d of ours)
      for (const name of Object.keys(d.kinds)) expect(name.startsWith(`${d.name}.`)).toBe(true);
  });

  it("mark reads read/stable and writes write/best_effort, need their binding type and take config.binding", () => {
    for (const d of ours) {
      expect(Object.isFrozen(d.kinds)).toBe(true);
      for (const spec of Object.values(d.kinds)) {
        expect([spec.effect, spec.determinism]).toEqual(
          spec.effect === "read" ? ["read", "stable"] : ["write", "best_effort"],
        );
        expect(spec.needs).toEqual([d.bindingType]);
        expect((spec.configSchema.properties as Record<string, unknown>).binding).toBeDefined();
      }
    }
  });

  it("are in the CLI's catalog (what `flows validate` and the build use)", () => {
    const catalog = defaultCatalog();
    for (const d of ours) for (const name of Object.keys(d.kinds)) expect(catalog[name]).toBe(d.kinds[name]);
  });
});

describe("the validator checks the bindings of capability nodes", () => {
  const file = (body: string) => ({
    file: "f.yaml",
    text: `flows: 1\nid: f\nversion: 1.0.0\n${body}`,
  });
  const codes = (body: string) =>
    validateFlows([file(body)], defaultCatalog()).diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);

  it("reports FLOW_BINDING_MISSING at the line of a kv.* node when the flow declares no kv binding", () => {
    expect(codes("triggers: []\nnodes:\n  - id: get\n    kind: kv.get\n    inputs: { key: k }\n")).toEqual([
      "FLOW_BINDING_MISSING 6:5",
    ]);
  });

  it("reports FLOW_QUEUE_BINDING_MISSING for queues.send without a queue binding", () => {
    expect(
      codes("triggers: []\nnodes:\n  - id: s\n    kind: queues.send\n    inputs: { body: 1 }\n"),
    ).toEqual(["FLOW_QUEUE_BINDING_MISSING 6:5"]);
  });

  it("accepts capability nodes whose bindings are declared, and checks their config", () => {
    const ok = `bindings:\n  FILES: { type: r2, bucket: files }\n  KV: { type: kv }\ntriggers: []\nnodes:\n  - { id: put, kind: r2.put, inputs: { key: k, body: b } }\n  - { id: get, kind: kv.get, inputs: { key: k }, config: { type: json, cacheTtl: 60 } }\n`;
    expect(codes(ok)).toEqual([]);
    expect(codes(ok.replace("type: json", "type: xml")).length).toBe(1);
  });
});

describe("impl-docs/errors.md, Capability codes", () => {
  const doc = readFileSync(new URL("../impl-docs/errors.md", import.meta.url), "utf8");
  const start = doc.indexOf("## Capability codes");
  const next = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, next === -1 ? undefined : next);

  it("lists every code of CAPABILITY_CODES with its status and user/system kind, and no other code", () => {
    expect(start).toBeGreaterThan(-1);
    const rows = new Map(
      [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (\d+) \| (user|system) \|/gm)].map((m) => [
        m[1],
        [Number(m[2]), m[3]],
      ]),
    );
    const expected = new Map(
      Object.entries(CAPABILITY_CODES).map(([code, d]) => [code, [d.status, d.expose ? "user" : "system"]]),
    );
    expect(rows).toEqual(expected);
  });
});

describe("the error-code table and the registry", () => {
  it("has exactly BINDING_MISSING plus the codes the built-in capabilities declare with defineCapability", () => {
    const { BINDING_MISSING, ...rest } = CAPABILITY_CODES;
    expect(BINDING_MISSING.status).toBe(500);
    expect(rest).toEqual(BUILTIN_CAPABILITY_REGISTRY.codes);
  });

  it("builds the built-in catalog from the registry: every capability's kinds, each owned by one", () => {
    const catalog = defaultCatalog();
    for (const capability of CAPABILITY_DECLARATIONS) {
      for (const kind of Object.keys(capability.kinds)) {
        expect(catalog[kind]).toBe(capability.kinds[kind]);
        expect(BUILTIN_CAPABILITY_REGISTRY.owner(kind)?.name).toBe(capability.name);
      }
    }
  });
});
