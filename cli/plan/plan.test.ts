import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../test/flows.ts";
import { reportCliError } from "../commands/run.ts";
import { UsageError } from "../files.ts";
import { type PlanOptions, planCommand } from "./index.ts";

/**
 * `flows plan` as users run it, in a folder of their own (a git repository for --base): once through the bin,
 * the other cases through the command's function with the same output streams and exit codes.
 */

const FIXTURES = join(ROOT, "flows", "changes", "fixtures");
const temp = mkdtempSync(join(tmpdir(), "flows-plan-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function bin(args: string[], cwd = temp) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  const run = spawnSync(process.execPath, [join(ROOT, "cli", "bin.js"), "plan", ...args], {
    cwd,
    encoding: "utf8",
    env,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const OPTIONS: Record<string, keyof PlanOptions> = {
  "--base": "base",
  "--head": "head",
  "--fail-on": "failOn",
  "--title": "title",
};

/** The command in this process: arguments parsed as commander does for these options. */
async function flows(args: string[], cwd = temp) {
  const options: PlanOptions = {};
  const sides: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") options.json = true;
    else if (arg === "--markdown") options.markdown = true;
    else if (OPTIONS[arg]) (options as Record<string, string>)[OPTIONS[arg]] = args[++i]!;
    else sides.push(arg);
  }
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { isTTY: false },
    out: (t: string) => {
      stdout += t;
    },
    err: (t: string) => {
      stderr += t;
    },
    setExitCode: () => {},
  };
  let code: number;
  try {
    code = await planCommand(sides, options, io, cwd);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr += `flows: ${error.message}\n`;
      code = 2;
    } else code = reportCliError(error, false, io);
  }
  return { code, stdout, stderr };
}

/** A copy of a fixture's two sides as `<name>/old` and `<name>/new`. */
function sides(fixture: string): { old: string; now: string } {
  const dir = join(temp, fixture);
  cpSync(join(FIXTURES, fixture, "before"), join(dir, "old"), { recursive: true });
  cpSync(join(FIXTURES, fixture, "after"), join(dir, "new"), { recursive: true });
  return { old: join(fixture, "old"), now: join(fixture, "new") };
}

describe("flows plan <before> <after>", () => {
  it("prints the plan for people on stdout and exits 1 for changes without a breaking one (the bin)", () => {
    const { old, now } = sides("effect-added");
    const { code, stdout, stderr } = bin([old, now]);
    expect(code).toBe(1);
    expect(stderr).toBe("");
    expect(stdout).toBe(
      readFileSync(join(FIXTURES, "effect-added", "expected.txt"), "utf8").replace(
        "(notify.yaml)",
        "(effect-added/old/notify.yaml → effect-added/new/notify.yaml)",
      ),
    );
  });

  it("lists its forms, outputs and exit codes in --help (the bin)", () => {
    const { code, stdout } = bin(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("flows plan --base main flows/");
    expect(stdout).toContain("--fail-on <what>");
    expect(stdout).toContain("Exit codes: 0 no change, 1 changes, 3 breaking changes");
  });

  it("exits 3 for a breaking change, and as --fail-on asks otherwise", async () => {
    const breaking = sides("route-removed");
    const changed = sides("cron-schedule");
    expect((await flows([breaking.old, breaking.now])).code).toBe(3);
    expect((await flows([breaking.old, breaking.now, "--fail-on", "breaking"])).code).toBe(3);
    expect((await flows([breaking.old, breaking.now, "--fail-on", "never"])).code).toBe(0);
    expect((await flows([changed.old, changed.now, "--fail-on", "breaking"])).code).toBe(0);
    expect((await flows([changed.old, changed.now, "--fail-on", "changes"])).code).toBe(1);
  });

  it("is quiet when nothing changed: no plan on stdout, one line on stderr, exit 0", async () => {
    const { old, now } = sides("formatting-only");
    expect(await flows([old, now])).toEqual({
      code: 0,
      stdout: "",
      stderr: "flows plan: no changes (1 flow compared)\n",
    });
  });

  it("prints the JSON plan (version 1) with --json, and Markdown with --markdown and --title", async () => {
    const { old, now } = sides("rename-journaled");
    const json = await flows([old, now, "--json"]);
    expect(json.code).toBe(3);
    const plan = JSON.parse(json.stdout);
    expect(Object.keys(plan)).toEqual(["version", "status", "summary", "flows", "shared", "problems"]);
    expect([plan.version, plan.status, plan.flows[0].changes[0].op]).toEqual([1, "breaking", "renamed"]);
    const md = await flows([old, now, "--markdown", "--title", "Flows in this PR"]);
    expect(md.stdout).toMatch(/^### Flows in this PR: 1 flow \(1 changed\), 1 change, 1 breaking\n/);
    expect(md.stdout).toContain("> [!CAUTION]");
  });

  it("reads a packaged flows.json as a side", async () => {
    const { old, now } = sides("route-added");
    const packaged = join(temp, "route-added", "flows.json");
    const docs = [
      { flows: 1, id: "orders", version: "1.1.0", triggers: [], nodes: [{ id: "reply", kind: "respond" }] },
    ];
    writeFileSync(packaged, JSON.stringify(docs));
    const { code, stdout } = await flows([join("route-added", "flows.json"), now, "--json"]);
    expect(code).toBe(1);
    const plan = JSON.parse(stdout);
    expect(plan.flows[0].file).toEqual({
      before: "route-added/flows.json",
      after: "route-added/new/orders.yaml",
    });
    void old;
  });

  it("exits 2 for usage errors and for files that cannot be read as flows", async () => {
    const { old, now } = sides("not-planned");
    const unreadable = await flows([old, now]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stdout).toContain("not planned\n  ✗ after not-planned/new/orders.yaml: FLOW_SYNTAX");
    expect(unreadable.stderr).toBe(
      'flows: 1 file could not be planned (see "not planned"); fix or remove it\n',
    );
    expect(await flows([old])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error[CLI_OPTION_INVALID]"),
    });
    expect((await flows([old, now, "--fail-on", "sometimes"])).stderr).toContain(
      "--fail-on must be one of breaking, changes, never; got `sometimes`",
    );
    expect((await flows([old, now, "--json", "--markdown"])).code).toBe(2);
    expect(await flows([old, "nowhere"])).toMatchObject({
      code: 2,
      stderr: `flows: no such file or directory: ${join(temp, "nowhere")}\n`,
    });
  });
});

describe("flows plan --base <revision>", () => {
  const repo = join(temp, "repo");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: repo,
      encoding: "utf8",
    });

  it("compares the working tree (or --head) with the flow files at a revision, file by file", async () => {
    mkdirSync(join(repo, "flows", "node_modules", "x"), { recursive: true });
    git("init", "-q", "-b", "main");
    cpSync(join(FIXTURES, "route-added", "before", "orders.yaml"), join(repo, "flows", "orders.yaml"));
    cpSync(join(FIXTURES, "cron-schedule", "before", "report.yaml"), join(repo, "flows", "report.yaml"));
    writeFileSync(join(repo, "flows", "node_modules", "x", "ignored.yaml"), "flows: 1\nid: ignored\n");
    writeFileSync(join(repo, "flows", "notes.yaml"), "title: not a flow\n");
    git("add", "-A");
    git("commit", "-qm", "flows");
    cpSync(join(FIXTURES, "route-added", "after", "orders.yaml"), join(repo, "flows", "orders.yaml"));
    rmSync(join(repo, "flows", "report.yaml"));

    const worktree = await flows(["--base", "main", "flows", "--json"], repo);
    expect(worktree.stderr).toBe("");
    const plan = JSON.parse(worktree.stdout);
    expect(
      plan.flows.map((f: { id: string; status: string; file: unknown }) => [f.id, f.status, f.file]),
    ).toEqual([
      ["orders", "changed", { before: "flows/orders.yaml", after: "flows/orders.yaml" }],
      ["report", "removed", { before: "flows/report.yaml", after: null }],
    ]);
    expect(worktree.code).toBe(3);

    git("add", "-A");
    git("commit", "-qm", "new route");
    expect(
      (await flows(["--base", "HEAD~1", "--head", "HEAD", "flows", "--fail-on", "never"], repo)).code,
    ).toBe(0);
    expect(await flows(["--base", "HEAD", "--head", "HEAD"], repo)).toMatchObject({ code: 0, stdout: "" });
    const from = await flows(["--base", "HEAD", "flows/orders.yaml"], join(repo));
    expect(from).toMatchObject({ code: 0, stdout: "" });
  });

  it("exits 2 with CLI_GIT_FAILED for an unknown revision or outside a repository", async () => {
    expect((await flows(["--base", "no-such-branch"], repo)).stderr).toMatch(
      /^flows: error\[CLI_GIT_FAILED\] `no-such-branch` is not a revision of the repository at /,
    );
    const outside = mkdtempSync(join(tmpdir(), "flows-plan-nogit-"));
    expect(await flows(["--base", "main"], outside)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "error[CLI_GIT_FAILED] git rev-parse failed: fatal: not a git repository",
      ),
    });
    rmSync(outside, { recursive: true, force: true });
    expect((await flows(["--head", "main", "a", "b"], repo)).code).toBe(2);
  });
});
