import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { parse } from "jsonc-parser";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../files.ts";
import { type CommandIO, formatMs, registerPackage, runPackage } from "./package.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-package-cmd-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function capture(
  isTTY = false,
): CommandIO & { stdout: { isTTY: boolean }; output: () => string; errors: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { isTTY },
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    setExitCode: () => {},
    output: () => out,
    errors: () => err,
  };
}

const badFlow = (): string => {
  const dir = join(temp, "bad");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "bad.yaml"),
    "flows: 1\nid: bad\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: a\n    kind: nope\n",
  );
  return dir;
};

describe("flows package workers (command)", () => {
  it("prints what it did, with sizes and timings, on stderr (stdout stays empty) and exits 0", async () => {
    const io = capture();
    const out = join(temp, "ok");
    const code = await runPackage(["examples/s3_workers_echo"], { out }, io);
    expect(code).toBe(0);
    const text = io.errors();
    expect(text).toMatch(/✓ validated 4 flows: .*echo.*\(\d+(\.\d)? ms\)/);
    expect(text).toMatch(/bundled worker\.js: [\d.]+ KiB, [\d.]+ KiB gzipped \(budget 3\.00 MiB\)/);
    expect(text).toContain("subrequests per run (free plan, at most 50): echo-params 3");
    expect(text).not.toContain("\u001b[");
    expect(text).not.toMatch(/\d\.\d{2,} ms/);
    expect(io.output()).toBe("");
    expect(readdirSync(out).sort()).toEqual(["entry.js", "flows.json", "worker.js", "wrangler.jsonc"]);
  });

  it("formats milliseconds without float noise: 61.599999999999994 → 62 ms, 0.30000000000000004 → 0.3 ms", () => {
    expect(formatMs(61.599999999999994)).toBe("62 ms");
    expect(formatMs(0.30000000000000004)).toBe("0.3 ms");
    expect(formatMs(9.96)).toBe("10 ms");
    expect(formatMs(1234.5)).toBe("1235 ms");
  });

  it("bundles no GitHub webhook code for flows without a GitHub trigger and no capability", async () => {
    const out = join(temp, "lean");
    expect(await runPackage(["examples/s3_workers_echo"], { out, json: true }, capture())).toBe(0);
    expect(readFileSync(join(out, "entry.js"), "utf8")).not.toContain("github");
    const bundle = readFileSync(join(out, "worker.js"), "utf8");
    expect(bundle).not.toContain("x-hub-signature-256");
    expect(bundle).not.toContain("github-webhook");
  });

  it("writes the observability settings of --log-sampling and --trace-sampling, none with --no-observability", async () => {
    const out = join(temp, "observed");
    const options = { out, json: true, logSampling: "0.5", traceSampling: ".1" };
    expect(await runPackage(["examples/s3_workers_echo"], options, capture())).toBe(0);
    const config = parse(readFileSync(join(out, "wrangler.jsonc"), "utf8")) as Record<string, unknown>;
    expect(config.observability).toEqual({
      enabled: true,
      head_sampling_rate: 0.5,
      logs: { enabled: true, invocation_logs: true },
      traces: { enabled: true, head_sampling_rate: 0.1 },
    });
    const quiet = join(temp, "unobserved");
    expect(
      await runPackage(["examples/s3_workers_echo"], { out: quiet, observability: false }, capture()),
    ).toBe(0);
    expect(parse(readFileSync(join(quiet, "wrangler.jsonc"), "utf8"))).not.toHaveProperty("observability");
    await expect(
      runPackage(["examples/s3_workers_echo"], { out, logSampling: "2" }, capture()),
    ).rejects.toThrow("--log-sampling must be a share of invocations from 0 to 1, such as 0.1, not 2");
  });

  it("binds a flow's Analytics Engine dataset for its metrics, and wrangler deploy --dry-run accepts it", async () => {
    const dir = join(temp, "metrics-flows");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "counted.yaml"),
      `flows: 1
id: counted
version: 1.0.0
bindings:
  FLOWS_METRICS: { type: analyticsEngine, dataset: flows_runs }
metrics: { sample: 0.5 }
triggers:
  - { type: http, method: GET, path: /counted }
nodes:
  - { id: answer, kind: respond, inputs: { body: ok } }
`,
    );
    const out = join(temp, "metrics-out");
    expect(await runPackage([dir], { out, dryRun: true }, capture())).toBe(0);
    const config = parse(readFileSync(join(out, "wrangler.jsonc"), "utf8")) as Record<string, unknown>;
    expect(config.analytics_engine_datasets).toEqual([{ binding: "FLOWS_METRICS", dataset: "flows_runs" }]);
  }, 60_000);

  it("bundles the run viewer only with --viewer", async () => {
    const off = join(temp, "viewer-off");
    const on = join(temp, "viewer-on");
    expect(await runPackage(["examples/s3_workers_echo"], { out: off, json: true }, capture())).toBe(0);
    expect(
      await runPackage(["examples/s3_workers_echo"], { out: on, json: true, viewer: true }, capture()),
    ).toBe(0);
    expect(readFileSync(join(off, "entry.js"), "utf8")).not.toContain("RUN_VIEWER");
    // The page's script keeps the viewer's token under this key: only the viewer has it.
    expect(readFileSync(join(off, "worker.js"), "utf8").includes("flows-viewer-token")).toBe(false);
    expect(readFileSync(join(on, "worker.js"), "utf8").includes("flows-viewer-token")).toBe(true);
  });

  it("shows progress and colour only on a terminal", async () => {
    const io = capture(true);
    const previous = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      expect(await runPackage(["examples/s3_workers_echo"], { out: join(temp, "tty") }, io)).toBe(0);
    } finally {
      if (previous !== undefined) process.env.NO_COLOR = previous;
    }
    expect(io.errors()).toContain("\u001b[32m✓");
    expect(io.errors()).toContain("bundling with esbuild");
  });

  it("prints one JSON object with --json", async () => {
    const io = capture();
    expect(await runPackage(["examples/capabilities"], { out: join(temp, "json"), json: true }, io)).toBe(0);
    const report = JSON.parse(io.output()) as Record<string, unknown>;
    expect(report).toMatchObject({
      ok: true,
      name: "capabilities",
      plan: "free",
      capabilities: ["kv", "r2", "queues"],
    });
    expect(Object.keys(report.timings as object)).toEqual(["read", "validate", "write", "bundle"]);
  });

  it("exits 1 with the validation report (on stderr) for a bad flow, writing nothing", async () => {
    const io = capture();
    const out = join(temp, "bad-out");
    expect(await runPackage([badFlow()], { out }, io)).toBe(1);
    expect(io.errors()).toContain("error[FLOW_UNKNOWN_KIND]");
    expect(io.output()).toBe("");
    expect(existsSync(out)).toBe(false);
    const json = capture();
    expect(await runPackage([badFlow()], { out, json: true }, json)).toBe(1);
    expect((JSON.parse(json.output()) as { ok: boolean }).ok).toBe(false);
  });

  it("exits 1, writing nothing, when a subflow node calls a flow that is not packaged with it", async () => {
    const dir = join(temp, "orphan");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "parent.yaml"),
      "flows: 1\nid: parent\nversion: 1.0.0\ntriggers: []\nnodes:\n  - { id: call, kind: subflow, config: { flow: child } }\n",
    );
    const io = capture();
    const out = join(temp, "orphan-out");
    expect(await runPackage([dir], { out }, io)).toBe(1);
    expect(io.errors()).toContain(
      "error[FLOW_SUBFLOW_UNKNOWN] node `call` (kind `subflow`) calls flow `child`, which is not among the flows validated together (flows: `parent`)",
    );
    expect(existsSync(out)).toBe(false);
  });

  it("throws a usage error (exit 2) for a missing file or a bad option", async () => {
    await expect(runPackage(["no/such/flow.yaml"], { out: join(temp, "x") }, capture())).rejects.toThrow(
      UsageError,
    );
    await expect(runPackage(["examples"], { out: join(temp, "x"), plan: "gold" }, capture())).rejects.toThrow(
      UsageError,
    );
    await expect(
      runPackage(["examples"], { out: join(temp, "x"), budget: "big" }, capture()),
    ).rejects.toThrow(UsageError);
  });

  it("exits 3 with a coded error when the output directory cannot be written", async () => {
    const file = join(temp, "plain-file");
    writeFileSync(file, "");
    const io = capture();
    expect(await runPackage(["examples/s3_workers_echo"], { out: join(file, "out") }, io)).toBe(3);
    expect(io.errors()).toMatch(/^error\[PACKAGE_OUT_DIR\] cannot write the package into .* \(ENOTDIR\)/);
    const json = capture();
    expect(await runPackage(["examples/s3_workers_echo"], { out: join(file, "out"), json: true }, json)).toBe(
      3,
    );
    expect(JSON.parse(json.output())).toMatchObject({ ok: false, error: { code: "PACKAGE_OUT_DIR" } });
  });

  it("exits 3 when the gzipped bundle is over --budget", async () => {
    const io = capture();
    expect(await runPackage(["examples/s3_workers_echo"], { out: join(temp, "b"), budget: "10kb" }, io)).toBe(
      3,
    );
    expect(io.errors()).toMatch(
      /error\[PACKAGE_BUDGET_EXCEEDED\] the bundle is [\d.]+ KiB gzipped, over the budget of 10\.0 KiB/,
    );
  });

  it("leaves nothing half-written when the bundle is over --budget: no new folder, an older package untouched", async () => {
    const fresh = join(temp, "over-fresh");
    expect(await runPackage(["examples/s3_workers_echo"], { out: fresh, budget: "10kb" }, capture())).toBe(3);
    expect(existsSync(fresh)).toBe(false);
    const older = join(temp, "over-older");
    mkdirSync(older);
    writeFileSync(join(older, "wrangler.jsonc"), '{ "name": "older" }\n');
    writeFileSync(join(older, "notes.txt"), "mine\n");
    expect(await runPackage(["examples/s3_workers_echo"], { out: older, budget: "10kb" }, capture())).toBe(3);
    expect(readdirSync(older).sort()).toEqual(["notes.txt", "wrangler.jsonc"]);
    expect(readFileSync(join(older, "wrangler.jsonc"), "utf8")).toBe('{ "name": "older" }\n');
  });
  it("adds to the user's --config, says what it added, and runs the dry-run deploy on that file", async () => {
    const project = join(temp, "user-config");
    mkdirSync(project, { recursive: true });
    const config = join(project, "wrangler.jsonc");
    writeFileSync(
      config,
      '{\n  // mine\n  "name": "mine",\n  "kv_namespaces": [{ "binding": "FLOW_KV", "id": "0f2ac74b498b48028cb68387c421e279" }]\n}\n',
    );
    const io = capture();
    const out = join(project, "dist");
    expect(await runPackage(["examples/capabilities"], { out, config, dryRun: true }, io)).toBe(0);
    expect(io.errors()).toContain(
      `  wrangler config ${config}: added main; no_bundle; compatibility_date; compatibility_flags: enable_request_signal; r2_buckets: FLOW_BUCKET; queues; durable_objects; migrations; observability\n`,
    );
    expect(io.errors()).toContain(`$ wrangler deploy --config ${config} --dry-run`);
    expect(io.errors()).toMatch(/env\.FLOW_KV \(0f2ac74b498b48028cb68387c421e279\)/);
    const text = readFileSync(config, "utf8");
    expect(text.startsWith('{\n  // mine\n  "name": "mine",')).toBe(true);
    expect(text).toContain('"main": "dist/worker.js"');
    const again = capture();
    expect(await runPackage(["examples/capabilities"], { out, config }, again)).toBe(0);
    expect(again.errors()).toContain(`wrangler config ${config}: has everything the flows need, unchanged`);
  }, 60_000);

  it("documents its exit codes in --help", async () => {
    let help = "";
    const program = new Command("flows").exitOverride().configureOutput({ writeOut: (t) => (help += t) });
    registerPackage(program, capture());
    await program.parseAsync(["node", "flows", "package", "workers", "--help"]).catch(() => {});
    expect(help).toContain("--budget <size>");
    expect(help).toMatch(/3 {2}the package could not be made: PACKAGE_OUT_DIR/);
    expect(help).toContain("4  PACKAGE_DEPLOY_FAILED");
  });
});
