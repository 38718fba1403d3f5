import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "../test/flows.ts";

const VALID = join(FIXTURES, "valid");
const INVALID = join(FIXTURES, "invalid");

/** Runs `node cli/bin.js ...args` like a user would (no TTY, colours off unless asked). */
function flows(args: string[], colour = false) {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  if (colour) env.FORCE_COLOR = "1";
  else env.NO_COLOR = "1";
  const run = spawnSync(process.execPath, [join(ROOT, "cli", "bin.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("flows validate", () => {
  it("exits 0 for valid flows and prints one summary line per flow with its determinism", () => {
    const { code, stdout } = flows(["validate", VALID]);
    expect(code).toBe(0);
    expect(stdout).toContain("✓ hello (");
    expect(stdout).toMatch(
      /✓ orders \(.*orders\.yaml\): valid; determinism nondeterministic, effects pure, external/,
    );
    expect(stdout).toMatch(/4 files: 4 valid, 0 invalid; 0 errors, 0 warnings\n$/);
  });

  it("exits 1 for an invalid flow and shows a code frame with a caret at the column", () => {
    const file = join(INVALID, "unknown-kind.yaml");
    const { code, stdout } = flows(["validate", file]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "error[FLOW_UNKNOWN_KIND] node `shape` has unknown kind `transfrom`: did you mean `transform`?",
    );
    expect(stdout).toContain(`--> ${file}:8:11`);
    expect(stdout).toContain("8 |     kind: transfrom\n  |           ^");
    expect(stdout).toContain("= hint: fix the kind name");
    expect(stdout).toMatch(/✗ unknown-kind \(.*\): 1 error; determinism strict/);
  });

  it("prints exactly { ok, diagnostics, flows } with --json", () => {
    const { code, stdout } = flows([
      "validate",
      "--json",
      join(INVALID, "cycle.yaml"),
      join(VALID, "hello.yaml"),
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(["ok", "diagnostics", "flows"]);
    expect(report.ok).toBe(false);
    expect(report.diagnostics).toHaveLength(1);
    expect(Object.keys(report.diagnostics[0])).toEqual([
      "code",
      "message",
      "file",
      "line",
      "column",
      "pointer",
      "severity",
    ]);
    expect(report.diagnostics[0]).toMatchObject({
      code: "FLOW_CYCLE",
      line: 9,
      column: 23,
      pointer: "/nodes/0/inputs/x",
      severity: "error",
    });
    expect(report.flows).toEqual([
      { file: join(INVALID, "cycle.yaml"), id: "cyclic", determinism: "strict" },
      { file: join(VALID, "hello.yaml"), id: "hello", determinism: "strict" },
    ]);
  });

  it("exits 0 with warnings only, and says so", () => {
    const { code, stdout } = flows(["validate", join(INVALID, "idempotency-key-on-pure.yaml")]);
    expect(code).toBe(0);
    expect(stdout).toContain("warning[FLOW_IDEMPOTENCY_KEY_ON_PURE]");
    expect(stdout).toContain("valid (1 warning)");
  });

  it("exits 2 when no path is given", () => {
    const { code, stderr } = flows(["validate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'paths'");
  });

  it("exits 2 for a missing path, naming it", () => {
    const { code, stderr } = flows(["validate", join(VALID, "hello.yaml"), "nope/missing.yaml"]);
    expect(code).toBe(2);
    expect(stderr).toBe("flows: no such file or directory: nope/missing.yaml\n");
  });

  it("exits 2 for an unknown option or command", () => {
    expect(flows(["validate", "--jsn", VALID]).code).toBe(2);
    expect(flows(["valdate", VALID]).code).toBe(2);
  });

  it("colours its output only when asked (a TTY, or FORCE_COLOR) and never with NO_COLOR", () => {
    const file = join(INVALID, "unknown-kind.yaml");
    expect(flows(["validate", file]).stdout).not.toContain("\u001b[");
    expect(flows(["validate", file], true).stdout).toContain("\u001b[31m");
  });
});

describe("flows validate <directory>", () => {
  const dir = mkdtempSync(join(tmpdir(), "flows-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hello = readFileSync(join(VALID, "hello.yaml"), "utf8");
  mkdirSync(join(dir, "nested", "deeper"), { recursive: true });
  mkdirSync(join(dir, "node_modules", "pkg"), { recursive: true });
  writeFileSync(join(dir, "nested", "deeper", "a.yml"), hello.replace("id: hello", "id: deep"));
  writeFileSync(join(dir, "b.json"), readFileSync(join(VALID, "notify.json"), "utf8"));
  writeFileSync(join(dir, "node_modules", "pkg", "flow.yaml"), "flows: 1\nid: BAD\n");
  writeFileSync(join(dir, "config.yaml"), "name: not a flow\n");
  writeFileSync(join(dir, "package.json"), '{ "name": "x" }');

  it("finds flow files recursively, skipping node_modules and files without `flows:`", () => {
    const { code, stdout } = flows(["validate", "--json", dir]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).flows.map((f: { id: string }) => f.id)).toEqual(["notify-customer", "deep"]);
  });

  it("exits 2 when a directory holds no flow", () => {
    const empty = join(dir, "nested");
    mkdirSync(join(empty, "none"), { recursive: true });
    const { code, stderr } = flows(["validate", join(empty, "none")]);
    expect(code).toBe(2);
    expect(stderr).toContain("no flow files found");
  });
});

describe("flows", () => {
  it("prints help with --help", () => {
    const { code, stdout } = flows(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: flows");
    expect(stdout).toContain("validate [options] <paths...>");
  });

  it("prints the version of package.json with --version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const { code, stdout } = flows(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it("exits 2 with help when no command is given", () => {
    const { code, stderr } = flows([]);
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: flows");
  });
});
