import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, devVarsFiles, startDev } from "./dev-server.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-dev-"));
let server: DevServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

describe("flows dev", () => {
  it("serves a folder of flows on workerd, serves a changed flow after the change, and stops cleanly", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(flows, ".dev.vars"), "GITHUB_WEBHOOK_SECRET=dev-secret\n");
    const port = await freePort();
    let log = "";
    const builds: boolean[] = [];
    server = await startDev([flows], {
      port,
      out: join(temp, "out"),
      persistTo: join(temp, "state"),
      log: (text) => {
        log += text;
      },
      onBuild: (result) => builds.push(!(result instanceof Error) && result.ok),
    });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const echo = () =>
      fetch(`${server?.url}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a":1}',
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(await echo()).toEqual({ status: 200, body: { a: 1 } });
    // .dev.vars beside the flows goes next to the generated config, where wrangler reads it.
    expect(readFileSync(join(temp, "out", ".dev.vars"), "utf8")).toBe("GITHUB_WEBHOOK_SECRET=dev-secret\n");
    expect(log).toContain(".dev.vars");

    const file = join(flows, "echo.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("body: ${{ trigger.body }}", "body: { changed: true }"),
    );
    let answer: unknown;
    for (let i = 0; i < 120; i++) {
      answer = await echo().catch(() => undefined);
      if (JSON.stringify(answer) === JSON.stringify({ status: 200, body: { changed: true } })) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer).toEqual({ status: 200, body: { changed: true } });
    expect(server.builds()).toBeGreaterThanOrEqual(2);
    expect(builds.every(Boolean)).toBe(true);

    // An invalid change is reported; the last good Worker keeps serving.
    writeFileSync(file, "flows: 1\nid: echo\n");
    for (let i = 0; i < 50 && builds.at(-1) !== false; i++) await new Promise((r) => setTimeout(r, 100));
    expect(builds.at(-1)).toBe(false);
    expect((await echo()).status).toBe(200);

    await server.stop();
    expect(await server.exited).toBe(0);
    await expect(fetch(`${server.url}/_flows/health`)).rejects.toThrow();
    server = undefined;
    expect(existsSync(join(temp, "out", "worker.js"))).toBe(true);
  }, 120_000);
});

describe("devVarsFiles", () => {
  it("finds .dev.vars in the directories given and beside every flow file, outer ones first", async () => {
    const root = join(temp, "vars");
    mkdirSync(join(root, "app", "deep"), { recursive: true });
    writeFileSync(join(root, ".dev.vars"), "A=1\n");
    writeFileSync(join(root, "app", "deep", ".dev.vars"), "B=2\n");
    const files = await devVarsFiles(
      [root],
      [join(root, "app", "deep", "x.yaml"), join(root, "app", "y.yaml")],
    );
    expect(files).toEqual([join(root, ".dev.vars"), join(root, "app", "deep", ".dev.vars")]);
    expect(await devVarsFiles([join(root, "app", "y.yaml")], [join(root, "app", "y.yaml")])).toEqual([]);
  });
});
