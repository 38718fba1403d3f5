import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "../test/flows.ts";

const VALID = join(FIXTURES, "valid");
const INVALID = join(FIXTURES, "invalid");

/** Runs `node cli/bin.js ...args` like a user would (no TTY, colours off unless asked). */
function flows(args: string[], colour = false, extraEnv: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  if (colour) env.FORCE_COLOR = "1";
  else env.NO_COLOR = "1";
  Object.assign(env, extraEnv);
  const run = spawnSync(process.execPath, [join(ROOT, "cli", "bin.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("flows validate", () => {
  it("exits 0 for valid flows and prints one summary line per flow with its determinism", () => {
    const { code, stderr: report } = flows(["validate", VALID]);
    expect(code).toBe(0);
    expect(report).toContain("✓ hello (");
    expect(report).toMatch(
      /✓ orders \(.*orders\.yaml\): valid; determinism nondeterministic, effects pure, external/,
    );
    expect(report).toMatch(/6 files: 6 valid, 0 invalid; 0 errors, 0 warnings\n$/);
  });

  it("exits 1 for an invalid flow and shows a code frame with a caret at the column, on stderr only", () => {
    const file = join(INVALID, "unknown-kind.yaml");
    const { code, stderr: stdout, stdout: nothing } = flows(["validate", file]);
    expect(code).toBe(1);
    expect(nothing).toBe("");
    expect(stdout).toContain(
      "error[FLOW_UNKNOWN_KIND] node `shape` has unknown kind `transfrom`: did you mean `transform`?",
    );
    expect(stdout).toContain(`--> ${file}:8:11`);
    expect(stdout).toContain("8 |     kind: transfrom\n  |           ^");
    expect(stdout).toContain("= hint: fix the kind name");
    expect(stdout).toMatch(/✗ unknown-kind \(.*\): 1 error; determinism strict/);
  });

  it("prints exactly { ok, diagnostics, flows } with --json, on stdout only", () => {
    const { code, stdout, stderr } = flows([
      "validate",
      "--json",
      join(INVALID, "cycle.yaml"),
      join(VALID, "hello.yaml"),
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe("");
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
      "hint",
    ]);
    expect(report.diagnostics[0]).toMatchObject({
      code: "FLOW_CYCLE",
      line: 9,
      column: 23,
      pointer: "/nodes/0/inputs/x",
      severity: "error",
    });
    expect(report.flows).toEqual([
      { file: join(INVALID, "cycle.yaml"), id: "cyclic", determinism: "strict", effects: ["pure"] },
      { file: join(VALID, "hello.yaml"), id: "hello", determinism: "strict", effects: ["pure"] },
    ]);
  });

  it("keeps each diagnostic's hint and each flow's effects in --json, as the human report shows them", () => {
    const unknown = join(INVALID, "unknown-kind.yaml");
    const orders = join(VALID, "orders.yaml");
    const report = JSON.parse(flows(["validate", "--json", unknown, orders]).stdout);
    expect(report.diagnostics[0]).toMatchObject({
      code: "FLOW_UNKNOWN_KIND",
      hint: "fix the kind name, or add the capability that provides it to the catalog",
    });
    expect(report.flows.find((f: { id: string }) => f.id === "orders").effects).toEqual(["pure", "external"]);
  });

  it("exits 0 with warnings only, and says so", () => {
    const { code, stderr: stdout } = flows(["validate", join(INVALID, "idempotency-key-on-pure.yaml")]);
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
    expect(flows(["validate", file]).stderr).not.toContain("\u001b[");
    expect(flows(["validate", file], true).stderr).toContain("\u001b[31m");
  });

  it("does not colour with NO_COLOR even when FORCE_COLOR is set too: NO_COLOR wins", () => {
    const file = join(INVALID, "unknown-kind.yaml");
    const both = flows(["validate", file], true, { NO_COLOR: "1" });
    expect(both.stderr).toContain("error[FLOW_UNKNOWN_KIND]");
    expect(both.stderr).not.toContain("\u001b[");
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
    expect(stdout).toContain("plan [options] [sides...]");
  });

  it("prints the version of package.json with --version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const { code, stdout } = flows(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it("prints the help on stdout and exits 0 when no command is given, as wrangler does", () => {
    const { code, stdout, stderr } = flows([]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: flows");
    expect(stdout).toContain("validate [options] <paths...>");
    expect(stderr).toBe("");
  });

  it("exits quietly, with no stack and code 0, when its reader closes stdout early (`flows run --json | head -1`)", () => {
    // A flow that prints a line every 20 ms for about 2 s: `head -1` is gone long before it ends.
    const dir = mkdtempSync(join(tmpdir(), "flows-epipe-"));
    const flow = join(dir, "chatty.yaml");
    writeFileSync(
      flow,
      [
        "flows: 1",
        "id: chatty",
        "version: 1.0.0",
        "triggers: []",
        "nodes:",
        "  - id: tick",
        "    kind: map",
        "    inputs: { items: '${{ range(100) }}' }",
        "    config: { concurrency: 1, node: { kind: delay, inputs: { value: '${{ index }}' }, config: { duration: 20ms } } }",
        "",
      ].join("\n"),
    );
    try {
      const run = spawnSync(
        "bash",
        [
          "-c",
          `"${process.execPath}" cli/bin.js run --json "${flow}" | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`,
        ],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
      expect(JSON.parse(run.stdout).type).toBe("run.start");
      expect(run.stderr).toBe("exit=0\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
