import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLI_CODES, CliError } from "./errors.ts";

describe("impl-docs/errors.md, CLI codes of run, graph and new", () => {
  it("lists every code of CLI_CODES with its exit code, and no other CLI_ code", () => {
    const doc = readFileSync(new URL("../../impl-docs/errors.md", import.meta.url), "utf8");
    const start = doc.indexOf("### `flows run`, `flows graph`, `flows new`, `flows runs`, `flows plan`");
    expect(start).toBeGreaterThan(-1);
    const next = doc.indexOf("\n#", start + 1);
    const section = doc.slice(start, next === -1 ? undefined : next);
    const rows = Object.fromEntries(
      [...section.matchAll(/^\| `(CLI_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(rows).toEqual({ ...CLI_CODES });
  });

  it("serialises to the error envelope with a null run id", () => {
    const error = new CliError("CLI_TRIGGER_UNKNOWN", "no trigger `x`", { known: ["http"] });
    expect(error.exitCode).toBe(2);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: {
        code: "CLI_TRIGGER_UNKNOWN",
        message: "no trigger `x`",
        details: { known: ["http"] },
        runId: null,
      },
    });
  });
});
