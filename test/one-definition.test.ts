import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { GITHUB_KIND_SPECS } from "../capabilities/github/declaration.ts";
import { DEFAULT_WEBHOOK_SECRET as CAPABILITY_SECRET } from "../capabilities/github/webhook/declaration.ts";
import { defaultCatalog } from "../cli/catalog.ts";
import { parseSize as budgetSize } from "../cli/package/limits.ts";
import { validateFlows } from "../flows/index.ts";
import { DEFAULT_WEBHOOK_SECRET, namedTriggers } from "../flows/ir/triggers.ts";
import type { FlowDocument } from "../flows/ir/types.ts";
import { DURATION_PATTERN, parseDuration, parseSize } from "../flows/units/index.ts";
import { parseByteSize } from "../hosts/workers/body.ts";
import { createFlowSet } from "../hosts/workers/flow-set.ts";
import { githubEndpoints } from "../hosts/workers/github.ts";
import { parseDuration as kernelDuration } from "../kernel/index.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";
import { ROOT } from "./flows.ts";

/** The error codes `flows validate` reports for one flow text (warnings, such as a missing output, left out). */
const codes = (text: string): string[] =>
  validateFlows([{ file: "f.yaml", text }], defaultCatalog())
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.code);

const httpFlow = (maxBodySize: string): string =>
  `flows: 1\nid: up\nversion: 1.0.0\ntriggers:\n  - { type: http, method: POST, path: /up, maxBodySize: "${maxBodySize}" }\nnodes:\n  - { id: a, kind: transform }\n`;

describe("one grammar of sizes", () => {
  it("accepts 1.5mb as maxBodySize (schema and host) and as --budget, as the same number of bytes", () => {
    expect(codes(httpFlow("1.5mb"))).toEqual([]);
    const [route] = createFlowSet(
      validateFlows([{ file: "f.yaml", text: httpFlow("1.5mb") }], defaultCatalog()).flows.map(
        (f) => f.document,
      ),
    ).http;
    expect(route?.maxBodyBytes).toBe(1_572_864);
    expect(budgetSize("1.5mb")).toBe(1_572_864);
    expect(parseByteSize("1.5mb")).toBe(1_572_864);
  });

  it("refuses the same sizes in the schema, the host and --budget", () => {
    for (const bad of ["1.5 mb", "1gb", "-1kb", "mb"]) {
      expect(codes(httpFlow(bad)), bad).toEqual(["FLOW_SCHEMA_VALUE"]);
      expect(budgetSize(bad), bad).toBeUndefined();
      expect(() => parseByteSize(bad), bad).toThrow(`invalid size ${JSON.stringify(bad)}`);
    }
    expect(budgetSize).toBe(parseSize);
  });
});

describe("one grammar of durations", () => {
  it("is the kernel's parser, the validator's limit check and every kind schema's pattern", () => {
    expect(kernelDuration).toBe(parseDuration);
    const delay = BUILTIN_KIND_SPECS.delay?.configSchema.properties as Record<string, unknown>;
    expect(delay.duration).toMatchObject({ pattern: DURATION_PATTERN });
    const github = JSON.stringify(GITHUB_KIND_SPECS);
    expect(
      github
        .match(/"pattern":"\^\[0-9\]\+\(ms[^"]*"/g)
        ?.every((p) => p === `"pattern":${JSON.stringify(DURATION_PATTERN)}`),
    ).toBe(true);
    const slow = (timeout: string) =>
      codes(
        `flows: 1\nid: t\nversion: 1.0.0\ntriggers: []\nnodes:\n  - { id: a, kind: transform, timeout: ${timeout} }\n`,
      );
    expect(slow("5m")).toEqual([]);
    expect(slow("301s")).toEqual(["FLOW_TIMEOUT_TOO_LONG"]);
    expect(slow("1d")).toEqual(["FLOW_TIMEOUT_TOO_LONG"]);
    expect(slow("1w")).toEqual(["FLOW_SCHEMA_VALUE"]);
  });
});

describe("one definition of trigger ids and the webhook secret name", () => {
  const doc: FlowDocument = {
    flows: 1,
    id: "two-hooks",
    version: "1.0.0",
    bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
    triggers: [
      { type: "github", events: ["push"] },
      { type: "http", method: "POST", path: "/x" },
      { type: "github", events: ["issues"] },
    ],
    nodes: [{ id: "a", kind: "transform" }],
  };

  it("names triggers alike in the flow, the webhook routes and the validator", () => {
    expect(namedTriggers(doc).map((t) => t.id)).toEqual(["github-0", "http", "github-2"]);
    const [endpoint] = githubEndpoints([doc]);
    expect(endpoint?.routes.map((r) => r.trigger)).toEqual(["github-0", "github-2"]);
    expect(endpoint?.secret).toBe(DEFAULT_WEBHOOK_SECRET);
    expect(CAPABILITY_SECRET).toBe(DEFAULT_WEBHOOK_SECRET);
    const clash = `flows: 1\nid: c\nversion: 1.0.0\ntriggers:\n  - { type: cron, schedule: "0 3 * * *" }\n  - { type: cron, id: cron-0, schedule: "0 4 * * *" }\nnodes:\n  - { id: a, kind: transform }\n`;
    expect(codes(clash)).toEqual(["FLOW_DUPLICATE_TRIGGER_ID"]);
  });
});

/** The runtime source files (tests and generated code aside). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((p) => !p.includes("node_modules") && !p.includes("generated") && !p.startsWith("flows/units/"));
}

describe("no second copy of a small unit", () => {
  it("has no duration, size or JSON media-type grammar and no edit distance outside flows/units", () => {
    const copies: string[] = [];
    const shapes: [string, RegExp][] = [
      ["duration grammar", /\(ms\|s\|m\|h\)/],
      ["size grammar", /\(b\|kb\|mb\)|kb:\s*1024/],
      ["JSON media type", /application\\\/\([^)]*\)\?json/],
      ["edit distance", /Math\.min\([^)]*\+ 1, [^)]*\+ 1, [^)]*\+ cost\)/],
      ["default webhook secret", /=\s*"GITHUB_WEBHOOK_SECRET"/],
      ["trigger id", /`\$\{trigger\.type\}-\$\{index\}`|`github-\$\{index\}`/],
    ];
    for (const file of ["flows", "kernel", "capabilities", "hosts", "cli"].flatMap(sources)) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const [what, shape] of shapes) if (shape.test(text)) copies.push(`${what}: ${file}`);
    }
    expect(
      copies.filter(
        (c) =>
          !c.startsWith("trigger id: flows/ir/triggers.ts") &&
          !c.startsWith("default webhook secret: flows/ir/triggers.ts"),
      ),
    ).toEqual([]);
  });
});
