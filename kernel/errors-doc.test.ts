import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CODE_DEFAULTS } from "./errors.ts";

// Node only (reads a file): every runtime code has a line in impl-docs/errors.md, with its status and kind.
describe("impl-docs/errors.md, Runtime codes", () => {
  const doc = readFileSync(new URL("../impl-docs/errors.md", import.meta.url), "utf8");
  const start = doc.indexOf("## Runtime codes");
  const next = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, next === -1 ? undefined : next);

  it("lists every code of CODE_DEFAULTS with its status and user/system kind, and no other code", () => {
    const rows = new Map(
      [...section.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (user|system) \|/gm)].map((m) => [
        m[1],
        [Number(m[2]), m[3]],
      ]),
    );
    const expected = new Map(
      Object.entries(CODE_DEFAULTS).map(([code, d]) => [code, [d.status, d.expose ? "user" : "system"]]),
    );
    expect(rows).toEqual(expected);
  });
});
