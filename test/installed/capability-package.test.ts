import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { prepareCapabilityProject } from "./capability-project.ts";
import { sh, userEnv } from "./project.ts";

/**
 * A third-party capability package (`test/fixtures/flows-capability-echo`), packed and INSTALLED with flows'
 * own packed tarball into a project outside the checkout, listed in that project's package.json
 * (`"flows": { "capabilities" }`), then validated, run, packaged and served by the installed `flows` command.
 */

const ECHO_FLOW = `flows: 1
id: echo-app
version: 1.0.0
triggers:
  - type: http
    method: POST
    path: /echo
nodes:
  - id: say
    kind: echo.say
    config:
      prefix: "» "
    inputs:
      text: \${{ trigger.body.text }}
  - id: reply
    kind: respond
    inputs:
      body:
        said: \${{ nodes.say.out }}
        greeting: \${{ nodes.say.greeting }}
`;

const BAD_FLOW = `flows: 1
id: bad-echo
version: 1.0.0
triggers:
  - type: http
    method: POST
    path: /bad
nodes:
  - id: say
    kind: echo.say
    config:
      prefix: 5
    inputs:
      text: hi
`;

let project: string;
let temp: string;
/** The installed `flows` command in the project (`npx flows ...`), with `input` on stdin. */
const flows = (args: string[], input?: string) => {
  if (input === undefined) return sh(project, "npx", ["flows", ...args]);
  const file = join(temp, `input-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, input);
  return sh(project, "npx", ["flows", ...args.map((a) => (a === "-" ? file : a))]);
};

beforeAll(() => {
  ({ dir: project, temp } = prepareCapabilityProject());
  mkdirSync(join(project, "flows"));
  mkdirSync(join(project, "bad"));
  writeFileSync(join(project, "flows", "echo.yaml"), ECHO_FLOW);
  writeFileSync(join(project, "bad", "bad.yaml"), BAD_FLOW);
}, 240_000);

afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
}, 60_000);

describe("a capability package installed in a user project", () => {
  it("is installed as a copy from its tarball, not linked to the checkout", () => {
    const installed = join(project, "node_modules", "flows-capability-echo", "package.json");
    expect(JSON.parse(readFileSync(installed, "utf8")).name).toBe("flows-capability-echo");
    expect(sh(project, "test", ["-L", join(project, "node_modules", "flows-capability-echo")]).code).toBe(1);
    expect(sh(project, "test", ["-L", join(project, "node_modules", "flows-runtime")]).code).toBe(1);
  });

  it("ships the editor schema where `flows new` points flows at it", () => {
    const shipped = join(
      project,
      "node_modules",
      "flows-runtime",
      "dist",
      "flows",
      "generated",
      "flow.schema.json",
    );
    const schema = JSON.parse(readFileSync(shipped, "utf8"));
    expect(schema.$id).toBe("https://flows.dev/schema/flow.schema.json");
    expect(schema.$defs.node.properties.kind.anyOf).toContainEqual(
      expect.objectContaining({ const: "kv.get" }),
    );
  });

  it("flows validate accepts its kind", () => {
    const { code, stdout } = flows(["validate", "flows", "--json"]);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, diagnostics: [] });
    expect(code).toBe(0);
  });

  it("flows validate rejects a bad config of its kind with the file and line", () => {
    const { code, stdout } = flows(["validate", "bad", "--json"]);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      diagnostics: { code: string; severity: string; file: string; line: number; message: string }[];
    };
    expect(code).toBe(1);
    const errors = report.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => [d.code, d.file, d.line])).toEqual([
      ["FLOW_CONFIG_INVALID", join("bad", "bad.yaml"), 12],
    ]);
    expect(errors[0]!.message).toContain("invalid config of node `say` (kind `echo.say`)");
  });

  it("flows run runs its kind in Node with the var of its fragment, and its error code reaches the result", () => {
    const ok = flows(["run", join("flows", "echo.yaml"), "--input", "-", "--json"], '{"body":{"text":"hi"}}');
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout.trimEnd().split("\n").at(-1)!);
    // The var of the capability's wrangler fragment, as a packaged Worker has it.
    expect(result.output.body).toEqual({ said: "» hi", greeting: "hello from echo" });

    const empty = flows(
      ["run", join("flows", "echo.yaml"), "--input", "-", "--json"],
      '{"body":{"text":""}}',
    );
    expect(empty.code).toBe(3);
    expect(empty.stdout).toContain('"code":"ECHO_EMPTY"');
  });

  it("flows schema writes the project's editor schema, which completes its kind, config keys and defaults", () => {
    const { code } = flows(["schema", "--out", "flows.schema.json"]);
    expect(code).toBe(0);
    const schema = JSON.parse(readFileSync(join(project, "flows.schema.json"), "utf8"));
    const node = schema.$defs.node;
    expect(node.properties.kind.anyOf).toContainEqual({
      const: "echo.say",
      description: expect.stringContaining("Echoes input `text`"),
    });
    const rule = node.allOf.find(
      (r: { if: { properties: { kind: { const: string } } } }) => r.if.properties.kind.const === "echo.say",
    );
    expect(rule.then.properties.config.properties.prefix).toEqual({
      type: "string",
      maxLength: 20,
      default: "> ",
    });
    expect(rule.then.properties.inputs.required).toEqual(["text"]);
    expect(rule.then.properties.timeout).toEqual({ default: "5s" });
  });

  it("flows dev serves its kind, with the var of its fragment", async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const bin = join(project, "node_modules", "flows-runtime", "dist", "cli", "bin.js");
    const child = spawn(process.execPath, [bin, "dev", "flows", "--port", String(port), "--out", "dev-out"], {
      cwd: project,
      env: userEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 360 && !output.includes("serving on"); i++)
        await new Promise((r) => setTimeout(r, 250));
      expect(output).toContain(`serving on http://127.0.0.1:${port}`);
      const response = await fetch(`http://127.0.0.1:${port}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"text":"dev"}',
      });
      expect(await response.json()).toEqual({ said: "» dev", greeting: "hello from echo" });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
    }
  }, 150_000);

  describe("flows package workers", () => {
    type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
    let worker: Worker | undefined;
    let out: string;

    beforeAll(() => {
      out = join(project, "out");
      const { code, stderr } = flows(["package", "workers", "flows", "--out", out]);
      // The progress report goes to stderr; no warning, no error.
      for (const step of [
        "✓ validated 1 flow: echo-app",
        "✓ wrote wrangler.jsonc, entry.js, flows.json",
        "✓ bundled worker.js: ",
      ])
        expect(stderr).toContain(step);
      expect(stderr).not.toMatch(/error|warn/i);
      console.log(`flows package workers (capability package): ${stderr.trim().split("\n").at(-1)}`);
      expect(code).toBe(0);
    }, 60_000);

    afterAll(async () => {
      await worker?.dispose();
    }, 30_000);

    it("adds its wrangler fragment and imports its run-time module by its package specifier", () => {
      const config = readFileSync(join(out, "wrangler.jsonc"), "utf8");
      const json = JSON.parse(config.replace(/^\/\/.*$/gm, "")) as { vars?: Record<string, string> };
      expect(json.vars).toEqual({ ECHO_GREETING: "hello from echo" });
      expect(readFileSync(join(out, "entry.js"), "utf8")).toContain(
        'import { ECHO_KINDS } from "flows-capability-echo/kinds";',
      );
      expect(readFileSync(join(out, "worker.js"), "utf8")).toContain("echo.say");
    });

    it("serves the packaged Worker, which runs its kind with the var of its fragment", async () => {
      worker = await unstable_startWorker({
        config: join(out, "wrangler.jsonc"),
        dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false },
      });
      await worker.ready;
      const post = async (text: string) =>
        (await worker!.fetch("http://127.0.0.1/echo", {
          method: "POST",
          body: JSON.stringify({ text }),
          headers: { "content-type": "application/json" },
        })) as unknown as Response;
      const ok = await post("hi");
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ said: "» hi", greeting: "hello from echo" });
      const empty = await post("");
      expect(empty.status).toBe(422);
      expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("ECHO_EMPTY");
    }, 90_000);
  });
});
