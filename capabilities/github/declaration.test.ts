import { describe, expect, it } from "vitest";
import { defaultCatalog } from "../../cli/catalog.ts";
import { validateFlows } from "../../flows/validate/index.ts";
import { GITHUB_DECLARATION } from "./declaration.ts";
import { GITHUB_KINDS } from "./kinds.ts";

describe("GitHub declaration", () => {
  const specs = Object.values(GITHUB_DECLARATION.kinds);

  it("declares 12 github.* kinds, each implemented, in the CLI catalog, with the documented effects", () => {
    expect(specs).toHaveLength(12);
    const catalog = defaultCatalog();
    for (const spec of specs) {
      expect(spec.kind.startsWith("github.")).toBe(true);
      expect(GITHUB_KINDS[spec.kind]?.spec).toBe(spec);
      expect(catalog[spec.kind]).toBe(spec);
      const read = spec.kind === "github.get" || spec.kind === "github.listPullRequestFiles";
      expect([spec.effect, spec.determinism]).toEqual(
        read ? ["read", "best_effort"] : ["external", "nondeterministic"],
      );
      expect(spec.inputs.installationId).toBeDefined();
      expect(spec.defaultTimeout).toBe("30s");
    }
    expect(GITHUB_DECLARATION.runtime).toEqual({
      module: "flows-runtime/capabilities/github/kinds",
      export: "GITHUB_KINDS",
    });
    expect(GITHUB_DECLARATION.wrangler({ GITHUB_TOKEN: { type: "secret" } }, [])).toEqual({});
  });

  it("checks routes at validation: github.get takes GET/HEAD routes only; github.request needs a route", () => {
    const flow = (kind: string, config: string) => ({
      file: "f.yaml",
      text: `flows: 1\nid: f\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: n\n    kind: ${kind}\n    config: ${config}\n`,
    });
    const codes = (kind: string, config: string) =>
      validateFlows([flow(kind, config)], defaultCatalog())
        .diagnostics.map((d) => d.code)
        .filter((code) => code !== "FLOW_INPUT_MISSING");
    expect(codes("github.get", '{ route: "GET /repos/{owner}/{repo}" }')).toEqual([]);
    expect(
      codes(
        "github.request",
        '{ route: "POST /repos/{owner}/{repo}/issues", baseUrl: "https://ghe.example/api/v3" }',
      ),
    ).toEqual([]);
    expect(codes("github.get", '{ route: "POST /repos/{owner}/{repo}/issues" }')).toHaveLength(1);
    expect(codes("github.request", "{}")).toHaveLength(1);
    expect(codes("github.comment", "{ auth: magic }")).toHaveLength(1);
    expect(codes("github.comment", '{ baseUrl: "ftp://x" }')).toHaveLength(1);
  });
});
