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

describe("CapabilityDeclaration.runtime", () => {
  const root = fileURLToPath(new URL("../", import.meta.url));

  it("names an existing module whose export is the capability's kind registry", async () => {
    for (const declaration of CAPABILITY_DECLARATIONS) {
      expect(declaration.runtime, declaration.name).toBeDefined();
      const runtime = declaration.runtime as { module: string; export: string };
      expect(existsSync(join(root, runtime.module))).toBe(true);
      const module = (await import(join(root, runtime.module))) as Record<string, Record<string, unknown>>;
      expect(Object.keys(module[runtime.export] ?? {}).sort()).toEqual(Object.keys(declaration.kinds).sort());
    }
  });
});
