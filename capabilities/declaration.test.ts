import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mergeWrangler } from "./declaration.ts";
import { CAPABILITY_DECLARATIONS } from "./declarations.ts";
import { DO_DECLARATION, runtimeWrangler } from "./durable-objects/declaration.ts";

describe("mergeWrangler, Durable Objects", () => {
  it("keeps each durable_objects binding once and merges migrations of one tag into one, each class once", () => {
    const state = DO_DECLARATION.wrangler({
      STATE: { type: "durableObject", className: "FlowsState" },
      OTHER: { type: "durableObject", className: "FlowsState" },
    });
    const merged = mergeWrangler([runtimeWrangler(), state, state, runtimeWrangler()]);
    expect(merged.durable_objects).toEqual({
      bindings: [
        { name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" },
        { name: "STATE", class_name: "FlowsState" },
        { name: "OTHER", class_name: "FlowsState" },
      ],
    });
    expect(merged.migrations).toEqual([{ tag: "v1", new_sqlite_classes: ["FlowsRuntime", "FlowsState"] }]);
  });

  it("keeps migrations of different tags apart, in order", () => {
    const merged = mergeWrangler([
      { migrations: [{ tag: "v1", new_sqlite_classes: ["A"] }] },
      { migrations: [{ tag: "v2", new_sqlite_classes: ["B"] }] },
      { migrations: [{ tag: "v1", new_sqlite_classes: ["A", "C"] }] },
    ]);
    expect(merged.migrations).toEqual([
      { tag: "v1", new_sqlite_classes: ["A", "C"] },
      { tag: "v2", new_sqlite_classes: ["B"] },
    ]);
  });

  it("leaves Durable Object sections out when no fragment has them", () => {
    expect(mergeWrangler([{ kv_namespaces: [{ binding: "K", id: "k" }] }])).toEqual({
      kv_namespaces: [{ binding: "K", id: "k" }],
    });
  });
});

describe("mergeWrangler, any section", () => {
  it("keeps sections it has no rule for, joining lists by binding name and merging objects key by key", () => {
    const merged = mergeWrangler([
      { kv_namespaces: [{ binding: "K", id: "k" }], vars: { A: "1" } },
      {
        d1_databases: [{ binding: "DB", database_name: "db" }],
        vars: { A: "other", B: "2" },
        services: [{ binding: "AUTH", service: "auth" }],
      },
      {
        d1_databases: [{ binding: "DB", database_name: "db", database_id: "x" }],
        observability: { enabled: true },
      },
    ]);
    expect(merged).toEqual({
      kv_namespaces: [{ binding: "K", id: "k" }],
      vars: { A: "1", B: "2" },
      d1_databases: [{ binding: "DB", database_name: "db", database_id: "x" }],
      services: [{ binding: "AUTH", service: "auth" }],
      observability: { enabled: true },
    });
  });

  it("keeps queue producers by binding and consumers by queue, the first fragment's values winning", () => {
    const merged = mergeWrangler([
      { queues: { producers: [{ binding: "Q", queue: "q" }] } },
      {
        queues: {
          producers: [{ binding: "Q", queue: "other" }],
          consumers: [{ queue: "q", max_batch_size: 5 }],
        },
      },
      { queues: { consumers: [{ queue: "q", max_batch_size: 9 }, { queue: "r" }] } },
    ]);
    expect(merged.queues).toEqual({
      producers: [{ binding: "Q", queue: "q" }],
      consumers: [{ queue: "q", max_batch_size: 5 }, { queue: "r" }],
    });
  });
});

describe("CapabilityDeclaration.runtime", () => {
  const root = fileURLToPath(new URL("../", import.meta.url));

  it("names an existing module whose export is the capability's kind registry", async () => {
    for (const declaration of CAPABILITY_DECLARATIONS) {
      expect(declaration.runtime, declaration.name).toBeDefined();
      const runtime = declaration.runtime as { module: string; export: string };
      // A package specifier of flows-runtime, without extension (the bundler resolves `.ts` or `.js`).
      expect(runtime.module, runtime.module).toMatch(/^flows-runtime\/capabilities\/[a-z0-9/-]+\/kinds$/);
      const path = join(root, `${runtime.module.slice("flows-runtime/".length)}.ts`);
      expect(existsSync(path)).toBe(true);
      const module = (await import(path)) as Record<string, Record<string, unknown>>;
      expect(Object.keys(module[runtime.export] ?? {}).sort()).toEqual(Object.keys(declaration.kinds).sort());
    }
  });
});
