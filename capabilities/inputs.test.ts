import { describe, expect, it } from "vitest";
import type { NodeContext } from "../kernel/index.ts";
import { stringInput } from "./inputs.ts";

const ctx = (value: unknown) => ({ nodeId: "n", inputs: { key: value } }) as unknown as NodeContext;

describe("stringInput", () => {
  it("counts the limit in UTF-8 bytes, whether or not the string is short enough to skip encoding", () => {
    expect(stringInput(ctx("a".repeat(256)), "key", 256)).toHaveLength(256);
    expect(() => stringInput(ctx("a".repeat(257)), "key", 256)).toThrow("is 257 bytes; the limit is 256");
    // 3 bytes per character: 85 fit in 256, 86 do not.
    expect(stringInput(ctx("€".repeat(85)), "key", 256)).toHaveLength(85);
    expect(() => stringInput(ctx("€".repeat(86)), "key", 256)).toThrow("is 258 bytes");
    // A surrogate pair: 2 code units, 4 bytes.
    expect(() => stringInput(ctx("😀".repeat(65)), "key", 256)).toThrow("is 260 bytes");
    expect(stringInput(ctx("😀".repeat(64)), "key", 256)).toHaveLength(128);
  });

  it("refuses what is not a non-empty string", () => {
    expect(() => stringInput(ctx(""), "key", 256)).toThrow("must be a non-empty string");
    expect(() => stringInput(ctx(7), "key")).toThrow("must be a non-empty string");
  });
});
