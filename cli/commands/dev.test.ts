import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../files.ts";
import { freePort } from "../run/testing.ts";
import { runDev } from "./dev.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-dev-cmd-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("flows dev (the command)", () => {
  it("serves on --port, prints how to fire each cron flow, and on SIGINT stops workerd and exits 0", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    cpSync("examples/cron-report", join(flows, "cron-report"), { recursive: true });
    const port = await freePort();
    const args = ["cli/bin.js", "dev", flows, "--port", String(port), "--out", join(temp, "out")];
    const child = spawn(process.execPath, [...args, "--persist-to", join(temp, "state")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 240 && !stdout.includes("serving on"); i++)
        await new Promise((r) => setTimeout(r, 250));
      expect(stdout).toContain(`serving on http://127.0.0.1:${port}`);
      for (let i = 0; i < 40 && !stdout.includes("run viewer:"); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toMatch(
        new RegExp(`^run viewer: http://127\\.0\\.0\\.1:${port}/_flows/#token=[\\w-]{32}$`, "m"),
      );
      const fire = `http://127.0.0.1:${port}/cdn-cgi/local/scheduled?cron=0+*+*+*+*`;
      expect(stdout).toContain(`  cron "0 * * * *" fires with: curl '${fire}'\n`);
      const fired = await fetch(fire);
      expect({ status: fired.status, text: await fired.text() }).toEqual({ status: 200, text: "ok" });
      const response = await fetch(`http://127.0.0.1:${port}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"b":2}',
      });
      expect(await response.json()).toEqual({ b: 2 });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/_flows/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 90_000);

  it("exits 1 with the validation report when a flow is invalid at start, starting nothing", async () => {
    const dir = join(temp, "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "bad.yaml"),
      "flows: 1\nid: bad\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: a\n    kind: nope\n",
    );
    let err = "";
    const io = {
      stdout: {},
      out: () => {},
      err: (t: string) => {
        err += t;
      },
      setExitCode: () => {},
    };
    const out = join(temp, "bad-out");
    expect(await runDev([dir], { out, port: "0" }, io)).toBe(1);
    expect(err).toContain("FLOW_UNKNOWN_KIND");
    expect(existsSync(join(out, "worker.js"))).toBe(false);
    await expect(runDev([dir], { port: "http" }, io)).rejects.toThrow(UsageError);
  });
});
