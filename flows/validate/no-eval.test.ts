import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "../../test/flows.ts";

/**
 * Workers forbid code generation from strings (eval, new Function). This proves the validator (generated
 * schema validators, YAML loader, CEL) never needs it: it runs in a Node process started with
 * --disallow-code-generation-from-strings. (The Workers test pool allows eval, so it cannot prove this.)
 */
describe("validation without code generation", () => {
  it("validates flows in a process that forbids eval and new Function", () => {
    const script = `
      let evalBlocked = false;
      try { new Function("return 1"); } catch (e) { evalBlocked = e instanceof EvalError; }
      const { validateFlows } = await import(${JSON.stringify(join(ROOT, "flows", "index.ts"))});
      const { BUILTIN_KIND_SPECS } = await import(${JSON.stringify(join(ROOT, "kernel", "kinds", "specs.ts"))});
      const { HTTP_KIND_SPECS } = await import(${JSON.stringify(join(ROOT, "capabilities", "http", "declaration.ts"))});
      const { readFileSync } = await import("node:fs");
      const files = ["orders.yaml", "notify.json"].map((f) => ({ file: f, text: readFileSync(${JSON.stringify(join(FIXTURES, "valid"))} + "/" + f, "utf8") }));
      files.push({ file: "bad.yaml", text: "flows: 1\\nid: Bad\\nversion: x\\ntriggers: []\\nnodes: [{ id: a, kind: nope }]\\n" });
      const result = validateFlows(files, { ...BUILTIN_KIND_SPECS, ...HTTP_KIND_SPECS });
      console.log(JSON.stringify({ evalBlocked, codes: result.diagnostics.map((d) => d.code), flows: result.flows.map((f) => f.ok) }));
    `;
    const run = spawnSync(
      process.execPath,
      ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(run.stderr).not.toMatch(/EvalError|Code generation/);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(out).toEqual({
      evalBlocked: true,
      codes: ["FLOW_SCHEMA_VALUE", "FLOW_SCHEMA_VALUE"],
      flows: [true, true],
    });
  });

  it("ships generated validators that import nothing", () => {
    const code = readFileSync(join(ROOT, "flows", "generated", "validators.js"), "utf8");
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/\b__require\b|\bnew Function\b|\beval\(/);
  });

  it("keeps flows/ runtime code free of ajv and node:* imports", () => {
    const files = readdirSync(join(ROOT, "flows"), { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("generated"),
    );
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const source = readFileSync(join(ROOT, "flows", file), "utf8");
      expect(source, file).not.toMatch(/from "(ajv|node:)/);
    }
  });
});
