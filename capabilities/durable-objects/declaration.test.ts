import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "./codec.ts";
import { DO_DECLARATION, DO_KIND_SPECS, runtimeWrangler } from "./declaration.ts";
import { shardOf } from "./shards.ts";

describe("durable-objects declaration", () => {
  it("declares the do.* kinds, frozen, with their effects and the durableObject binding they need", () => {
    expect(Object.isFrozen(DO_KIND_SPECS)).toBe(true);
    const effects = Object.fromEntries(
      Object.values(DO_KIND_SPECS).map((s) => [s.kind, `${s.effect}/${s.determinism}`]),
    );
    expect(effects).toEqual({
      "do.get": "read/stable",
      "do.put": "write/best_effort",
      "do.delete": "write/best_effort",
      "do.increment": "write/best_effort",
      "do.call": "external/best_effort",
    });
    for (const spec of Object.values(DO_KIND_SPECS)) expect(spec.needs).toEqual(["durableObject"]);
  });

  it("gives one durable_objects binding per durableObject binding and a v1 migration of their classes", () => {
    expect(
      DO_DECLARATION.wrangler({
        STATE: { type: "durableObject", className: "FlowsState" },
        ROOMS: { type: "durableObject", className: "Room" },
        OTHER: { type: "durableObject", className: "FlowsState" },
        KV: { type: "kv" },
      }),
    ).toEqual({
      durable_objects: {
        bindings: [
          { name: "STATE", class_name: "FlowsState" },
          { name: "ROOMS", class_name: "Room" },
          { name: "OTHER", class_name: "FlowsState" },
        ],
      },
      migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsState", "Room"] }],
    });
    expect(DO_DECLARATION.wrangler({ KV: { type: "kv" } })).toEqual({});
    expect(runtimeWrangler()).toEqual({
      durable_objects: { bindings: [{ name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsRuntime"] }],
    });
  });

  it("encodes values as JSON text that keeps bytes at any depth", () => {
    const value = { a: new Uint8Array([0, 255]), b: [new Uint8Array([7]).buffer, "x"], c: null };
    const text = encodeValue(value);
    expect(text).toBe('{"a":{"$bytes":"AP8="},"b":[{"$bytes":"Bw=="},"x"],"c":null}');
    const back = decodeValue(text) as { a: Uint8Array; b: [Uint8Array, string] };
    expect([...back.a]).toEqual([0, 255]);
    expect([...back.b[0]]).toEqual([7]);
    expect(encodeValue(undefined)).toBe("null");
  });

  it("spreads keys over shards stably", () => {
    expect(shardOf("a", 32)).toBe(shardOf("a", 32));
    const used = new Set(Array.from({ length: 1000 }, (_, i) => shardOf(`key-${i}`, 32)));
    expect(used.size).toBe(32);
  });
});
