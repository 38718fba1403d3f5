import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOST_CODES } from "./codes.ts";

describe("impl-docs/errors.md, Host codes", () => {
  it("lists every host code with its status, and no other code", () => {
    const doc = readFileSync(new URL("../../impl-docs/errors.md", import.meta.url), "utf8");
    const start = doc.indexOf("## Host codes");
    const next = doc.indexOf("\n## ", start + 1);
    const section = doc.slice(start, next === -1 ? undefined : next);
    const rows = Object.fromEntries(
      [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(rows).toEqual({ ...HOST_CODES });
  });
});
