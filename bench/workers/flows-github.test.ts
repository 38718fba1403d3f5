import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import { defaultCatalog } from "../../cli/catalog.ts";
import { analyzeFlows } from "../../cli/package/analyze.ts";
import { entryModule, RUNTIME_PACKAGE } from "../../cli/package/entry.ts";
import { githubFlows } from "./github-flows.ts";

/** The runtime modules a module imports, as paths under the runtime root without extension. */
function runtimeImports(source: string, prefix: RegExp): string[] {
  const specifiers = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
  return specifiers
    .filter((s) => prefix.test(s))
    .map((s) => s.replace(prefix, "").replace(/\.(ts|js)$/, ""))
    .sort();
}

describe("the flows webhook bench worker", () => {
  it("imports the runtime modules the packaged entry of its flows imports, and no others", () => {
    const entry = entryModule(analyzeFlows(githubFlows, defaultCatalog(), CAPABILITY_DECLARATIONS));
    const bench = readFileSync(new URL("./flows-github.ts", import.meta.url), "utf8");
    const packaged = runtimeImports(entry, new RegExp(`^${RUNTIME_PACKAGE}/`));
    expect(packaged.length).toBeGreaterThan(0);
    expect(runtimeImports(bench, /^(\.\.\/)+/)).toEqual(packaged);
  });
});
