import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/**
 * What a Worker's start-up costs (impl-docs/kernel.md): the CEL library is bundled, but evaluated only when the
 * host's first run needs it, not at the Worker's import. Checked on a real bundle (one file, as `flows package
 * workers` writes it) loaded in its own module graph: this process loaded CEL already (test/cel-setup.ts).
 */

const ROOT = join(import.meta.dirname, "..", "..");
const ENTRY = `
import { createWorker } from ${JSON.stringify(join(ROOT, "hosts/workers/worker.ts"))};
import { GITHUB_TRIGGERS } from ${JSON.stringify(join(ROOT, "hosts/workers/github.ts"))};
export { celLoaded } from ${JSON.stringify(join(ROOT, "kernel/index.ts"))};
export default createWorker([
  {
    flows: 1, id: "echo", version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/echo" }],
    nodes: [{ id: "step", kind: "transform", config: { value: "\${{ trigger.body }}" } }], output: "step",
  },
  {
    flows: 1, id: "sum", version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/sum" }],
    nodes: [{ id: "step", kind: "transform", config: { value: "\${{ trigger.body.a + 1 }}" } }], output: "step",
  },
  {
    flows: 1, id: "hook", version: "1.0.0",
    triggers: [{ type: "github", events: ["issues.opened"] }],
    nodes: [{ id: "step", kind: "transform", config: { value: "\${{ trigger.payload }}" } }],
  },
], { log: () => {}, github: GITHUB_TRIGGERS });
`;

interface Bundle {
  default: { fetch(request: Request, env: object, ctx: object): Promise<Response> };
  celLoaded(): boolean;
}

let dir: string;
let bundlePath: string;
let metafile: { inputs: Record<string, unknown> };

beforeAll(async () => {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".tmp", "startup-"));
  writeFileSync(join(dir, "entry.ts"), ENTRY);
  bundlePath = join(dir, "worker.mjs");
  const result = await build({
    entryPoints: [join(dir, "entry.ts")],
    outfile: bundlePath,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    metafile: true,
    logLevel: "silent",
  });
  metafile = result.metafile;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = { waitUntil() {}, passThroughOnException() {} };
const post = (path: string, body: unknown) =>
  new Request(`http://x${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("Worker start-up", () => {
  it("bundles the CEL library into the one file, and does not evaluate it at import", async () => {
    expect(Object.keys(metafile.inputs).some((p) => p.includes("@marcbachmann/cel-js"))).toBe(true);
    const worker = (await import(pathToFileURL(bundlePath).href)) as Bundle;
    expect(worker.celLoaded()).toBe(false);
  });

  it("carries the webhook flows of flows/builtin, and none of the built-in apps", async () => {
    const text = readFileSync(bundlePath, "utf8");
    expect(text).toContain('"github-webhook"');
    expect(text).not.toMatch(/github-app-/);
  });

  it("loads it before its first run, which then answers as before", async () => {
    const worker = (await import(pathToFileURL(bundlePath).href)) as Bundle;
    const sum = await worker.default.fetch(post("/sum", { a: 2 }), {}, ctx);
    expect(await sum.json()).toBe(3);
    expect(worker.celLoaded()).toBe(true);
    const echo = await worker.default.fetch(post("/echo", { name: "ada" }), {}, ctx);
    expect(await echo.json()).toEqual({ name: "ada" });
  });
});

describe("loadCel", () => {
  it("is needed before an expression other than a plain reference compiles, and is loaded once", async () => {
    vi.resetModules();
    const loader = await import("../../flows/expr/cel-loader.ts");
    const { compileExpression } = await import("../../flows/expr/expression.ts");
    expect(loader.celLoaded()).toBe(false);
    // A plain reference compiles and reads without the library.
    expect(compileExpression("trigger.body").evaluate({ trigger: { body: 1 } })).toBe(1);
    expect(() => compileExpression("trigger.body + 1")).toThrow(/CEL library is not loaded/);
    const [a, b] = await Promise.all([loader.loadCel(), loader.loadCel()]);
    expect(a).toBe(b);
    expect(loader.celLoaded()).toBe(true);
    expect(compileExpression("trigger.body + 1").evaluate({ trigger: { body: 1 } })).toBe(2);
  });
});
