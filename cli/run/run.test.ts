import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowsCli, flowsInProcess, interruptFlows, ROOT } from "./testing.ts";

const FIXTURES = join(ROOT, "cli", "run", "fixtures");
const GREET = join(FIXTURES, "greet.yaml");
const tmp = mkdtempSync(join(tmpdir(), "flows-run-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const greetInput = JSON.stringify({
  body: { name: "Ada" },
  params: { lang: "en" },
  headers: { "X-Caller": "cli" },
});

describe("flows run", () => {
  it("runs an HTTP trigger with --input shaped like the host's trigger, prints one line per event and the output", () => {
    const { code, stdout } = flowsCli([
      "run",
      GREET,
      "--trigger",
      "web",
      "--input",
      file("greet.json", greetInput),
    ]);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^\s+\d+ms run\.start\s+flow greet@1\.0\.0 run [0-9a-f-]{36}$/);
    expect(lines[1]).toMatch(/^\s+\d+ms node\.start\s+hello transform$/);
    expect(stdout).toMatch(/node\.end\s+reply \d+ms, 1 attempt/);
    expect(stdout).toMatch(/run\.end\s+ok in \d+ms/);
    // Headers lower-cased, params and path filled as hosts/workers does.
    expect(stdout).toContain(
      'output: {\n  "status": 200,\n  "headers": {},\n  "body": {\n    "text": "Hello, Ada (en, cli)",\n    "path": "/greet/en"\n  }\n}\n',
    );
  });

  it("runs a durable flow on the in-process engine: an --event reaches its wait, --skip-sleeps times a wait out at once", async () => {
    const approval = join(ROOT, "examples", "approval", "approval.yaml");
    const input = file("approval-input.json", JSON.stringify({ body: { change: "deploy 9" } }));
    const decision = file("decision.json", JSON.stringify({ approved: true, by: "ada" }));
    const outputOf = (stdout: string) =>
      JSON.parse(stdout.trimEnd().split("\n").at(-1)!) as { output: { body: unknown } };
    const approved = await flowsInProcess([
      "run",
      approval,
      "--input",
      input,
      "--event",
      `decision=${decision}`,
      "--json",
    ]);
    expect(approved.code).toBe(0);
    expect(outputOf(approved.stdout).output.body).toEqual({
      status: "approved",
      by: "ada",
      change: "deploy 9",
    });
    const expired = await flowsInProcess(["run", approval, "--input", input, "--skip-sleeps", "--json"]);
    expect(expired.code).toBe(0);
    expect(outputOf(expired.stdout).output.body).toEqual({ status: "expired", change: "deploy 9" });
    const wrong = await flowsInProcess(["run", GREET, "--trigger", "web", "--event", "decision"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--event is for a durable flow (durable: true)");
  });

  it("reads the input from stdin with --input - and prints JSON lines with --json", async () => {
    const { code, stdout } = await flowsInProcess(
      ["run", GREET, "--trigger", "web", "--input", "-", "--json"],
      greetInput,
    );
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type ?? "result")).toEqual([
      "run.start",
      "node.start",
      "node.output",
      "node.end",
      "node.start",
      "node.output",
      "node.end",
      "run.end",
      "result",
    ]);
    expect(lines.map((l) => l.seq).slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(lines.at(-1).output.body.text).toBe("Hello, Ada (en, cli)");
    expect(lines.at(-1).runId).toBe(lines[0].runId);
  });

  it("passes with --expect when the output matches and exits 4 with CLI_OUTPUT_MISMATCH when it differs", async () => {
    const input = file("expect-in.json", greetInput);
    const good = file(
      "good.json",
      JSON.stringify({ status: 200, headers: {}, body: { text: "Hello, Ada (en, cli)", path: "/greet/en" } }),
    );
    expect(
      (await flowsInProcess(["run", GREET, "--trigger", "web", "--input", input, "--expect", good])).code,
    ).toBe(0);
    const bad = file("bad.json", JSON.stringify({ status: 200, headers: {}, body: { text: "Hi" } }));
    const { code, stderr } = await flowsInProcess([
      "run",
      GREET,
      "--trigger",
      "web",
      "--input",
      input,
      "--expect",
      bad,
    ]);
    expect(code).toBe(4);
    expect(stderr).toContain("flows: error[CLI_OUTPUT_MISMATCH] the output differs from");
    expect(stderr).toContain('expected {"status":200,"headers":{},"body":{"text":"Hi"}}');
  });

  it("colours pretty output only when asked (a TTY, or FORCE_COLOR), never the JSON lines", async () => {
    const args = ["run", GREET, "--trigger", "web", "--input", "-"];
    const plain = await flowsInProcess(args, greetInput);
    expect(plain.stdout).not.toContain("\u001b[");
    const coloured = await flowsInProcess(args, greetInput, { FORCE_COLOR: "1" });
    expect(coloured.stdout).toContain("\u001b[32mnode.end     \u001b[39m \u001b[1mhello\u001b[22m");
    const json = await flowsInProcess([...args, "--json"], greetInput, { FORCE_COLOR: "1" });
    expect(json.stdout).not.toContain("\u001b[");
  });

  it("builds a cron trigger with scheduledTime from the input", async () => {
    const flow = file(
      "cron.yaml",
      [
        "flows: 1",
        "id: tick",
        "version: 1.0.0",
        "triggers: [{ type: cron, schedule: '0 3 * * *' }]",
        "nodes:",
        "  - { id: t, kind: transform, inputs: { at: '${{ trigger.scheduledTime }}', cron: '${{ trigger.cron }}', type: '${{ trigger.type }}' } }",
        "output: t",
      ].join("\n"),
    );
    const { code, stdout } = await flowsInProcess(
      ["run", flow, "--json", "--input", "-"],
      '{"scheduledTime":"2026-01-02T03:00:00.000Z"}',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trimEnd().split("\n").at(-1)!).output).toEqual({
      at: "2026-01-02T03:00:00.000Z",
      cron: "0 3 * * *",
      type: "cron",
    });
  });

  it("builds a GitHub trigger as the webhook dispatcher gives it to a routed flow", async () => {
    const flow = file(
      "gh.yaml",
      [
        "flows: 1",
        "id: gh",
        "version: 1.0.0",
        "bindings: { GITHUB_WEBHOOK_SECRET: { type: secret } }",
        "triggers: [{ type: github, events: [issues.opened] }]",
        "nodes:",
        "  - { id: t, kind: transform, config: { value: '${{ trigger }}' } }",
        "output: t",
      ].join("\n"),
    );
    const input = {
      event: "issues",
      payload: { action: "opened", installation: { id: 42 }, issue: { number: 1 } },
    };
    const { code, stdout } = await flowsInProcess(
      ["run", flow, "--json", "--input", "-"],
      JSON.stringify(input),
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trimEnd().split("\n").at(-1)!).output).toEqual({
      type: "github",
      id: "github",
      name: "issues.opened",
      event: "issues",
      action: "opened",
      deliveryId: "local-delivery-1",
      hookId: null,
      installationId: 42,
      payload: input.payload,
    });
  });

  it("exits 3 with the error envelope when the run fails", async () => {
    const { code, stdout, stderr } = await flowsInProcess(["run", GREET, "--trigger", "web"]);
    expect(code).toBe(3);
    expect(stdout).toMatch(
      /node\.error\s+hello EXPRESSION_FAILED: node `hello` inputs\.text: No such key: name/,
    );
    expect(stdout).toMatch(/run\.end\s+failed in \d+ms EXPRESSION_FAILED/);
    expect(stderr).toContain("error[EXPRESSION_FAILED] node `hello` inputs.text: No such key: name");
    const json = await flowsInProcess(["run", GREET, "--trigger", "web", "--json"]);
    expect(json.code).toBe(3);
    const last = JSON.parse(json.stdout.trimEnd().split("\n").at(-1)!);
    expect(last.error).toMatchObject({ code: "EXPRESSION_FAILED", details: { nodeId: "hello" } });
    expect(last.error.runId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("exits 1 with validate's diagnostics (on stderr) for an invalid flow, without running it", async () => {
    const flow = file(
      "bad.yaml",
      "flows: 1\nid: bad\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: a\n    kind: transfrom\n",
    );
    const { code, stdout, stderr } = await flowsInProcess(["run", flow]);
    expect(code).toBe(1);
    expect(stderr).toContain("error[FLOW_UNKNOWN_KIND] node `a` has unknown kind `transfrom`");
    expect(stderr).toContain(`--> ${flow}:7:11`);
    expect(stdout).toBe("");
  });

  it("exits 2 with a coded error for a missing file, an unknown or missing trigger id, bad JSON input and a bad --timeout", async () => {
    const missing = await flowsInProcess(["run", join(tmp, "nope.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `flows: error[CLI_FILE_NOT_FOUND] no such file or directory: ${join(tmp, "nope.yaml")}\n`,
    );

    const unknown = await flowsInProcess(["run", GREET, "--trigger", "mobile"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      "error[CLI_TRIGGER_UNKNOWN] flow `greet` has no trigger `mobile` (known: web, nightly)",
    );

    const ambiguous = await flowsInProcess(["run", GREET]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("error[CLI_TRIGGER_REQUIRED] flow `greet` has 2 triggers");

    const badJson = await flowsInProcess(
      ["run", GREET, "--trigger", "web", "--input", "-", "--json"],
      "{ body: ",
    );
    expect(badJson.code).toBe(2);
    expect(JSON.parse(badJson.stdout).error).toMatchObject({ code: "CLI_INPUT_INVALID", runId: null });
    expect(JSON.parse(badJson.stdout).error.message).toMatch(/^input on stdin is not valid JSON: /);

    const noInput = await flowsInProcess([
      "run",
      GREET,
      "--trigger",
      "web",
      "--input",
      join(tmp, "none.json"),
    ]);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain(
      `error[CLI_INPUT_INVALID] cannot read input ${join(tmp, "none.json")}: ENOENT`,
    );

    const timeout = await flowsInProcess(["run", GREET, "--trigger", "web", "--timeout", "soon"]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain("error[CLI_OPTION_INVALID] --timeout soon is not a duration");
  });

  it("says why a run has no output when its output node was skipped", async () => {
    const gated = file(
      "gated.yaml",
      "flows: 1\nid: gated\nversion: 1.0.0\ntriggers: [{ type: http, method: POST, path: /g }]\nnodes:\n  - { id: find, kind: transform, when: 'trigger.body.go', inputs: { x: 1 } }\n  - { id: reply, kind: respond, inputs: { body: '${{ nodes.find.out }}' } }\n",
    );
    const input = file("gated-in.json", JSON.stringify({ body: { go: false } }));
    const text = await flowsInProcess(["run", gated, "--input", input]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(
      "note: no output: its output node `reply` was skipped. `reply` reads `find`, which was skipped; `find`'s `when` was false",
    );
    const json = await flowsInProcess(["run", gated, "--input", input, "--json"]);
    expect(JSON.parse(json.stdout.trimEnd().split("\n").at(-1)!)).toMatchObject({
      output: null,
      outputSkipped: {
        reply: [
          { nodeId: "reply", reason: "dependency", source: "find" },
          { nodeId: "find", reason: "when" },
        ],
      },
    });
  });

  describe("with subflows", () => {
    const dir = join(tmp, "family");
    mkdirSync(dir);
    const parent = join(dir, "parent.yaml");
    const child = join(dir, "child.yaml");
    writeFileSync(
      parent,
      "flows: 1\nid: parent\nversion: 1.0.0\ntriggers: [{ type: http, method: POST, path: /p }]\nnodes:\n  - { id: call, kind: subflow, inputs: { input: '${{ trigger.body }}' }, config: { flow: child } }\noutput: call\n",
    );
    writeFileSync(
      child,
      "flows: 1\nid: child\nversion: 1.0.0\ntriggers: []\nnodes:\n  - { id: add, kind: transform, config: { value: '${{ trigger.x + 1 }}' } }\noutput: add\n",
    );
    const output = (stdout: string) => JSON.parse(stdout.trimEnd().split("\n").at(-1)!).output;

    it("runs a parent with the child its subflow node calls, given as two files or as their folder", async () => {
      const input = file("parent-in.json", JSON.stringify({ body: { x: 1 } }));
      const files = await flowsInProcess(["run", parent, child, "--input", input, "--json"]);
      expect(files.code).toBe(0);
      expect(output(files.stdout)).toBe(2);
      const folder = await flowsInProcess(["run", dir, "--input", input, "--json"]);
      expect(folder.code).toBe(0);
      expect(output(folder.stdout)).toBe(2);
    });

    it("gives a flow without triggers its input as `trigger`, the value a subflow node passes it", async () => {
      const { code, stdout } = await flowsInProcess(
        ["run", dir, "--flow", "child", "--input", "-", "--json"],
        JSON.stringify({ x: 41 }),
      );
      expect(code).toBe(0);
      expect(output(stdout)).toBe(42);
    });

    it("exits 1 with FLOW_SUBFLOW_UNKNOWN when the called flow's file is not given", async () => {
      const { code, stderr } = await flowsInProcess(["run", parent]);
      expect(code).toBe(1);
      expect(stderr).toContain(
        "error[FLOW_SUBFLOW_UNKNOWN] node `call` (kind `subflow`) calls flow `child`, which is not among the flows validated together (flows: `parent`)",
      );
      expect(stderr).toContain(`--> ${parent}:6:90`);
    });

    it("asks for --flow when it cannot tell which flow to run, and names an unknown one", async () => {
      const other = join(tmp, "other.yaml");
      writeFileSync(
        other,
        "flows: 1\nid: other\nversion: 1.0.0\ntriggers: [{ type: cron, schedule: '0 * * * *' }]\nnodes: [{ id: a, kind: transform }]\n",
      );
      const two = await flowsInProcess(["run", dir, other]);
      expect(two.code).toBe(2);
      expect(two.stderr).toBe(
        "flows: error[CLI_FLOW_REQUIRED] 3 flows were given and 2 (parent, other) are with triggers: choose the flow to run with --flow <id> (flows: child, parent, other)\n",
      );
      const byTrigger = await flowsInProcess(["run", dir, other, "--trigger", "cron", "--json"]);
      expect(byTrigger.code).toBe(0);
      expect(output(byTrigger.stdout)).toBe(null);
      const unknown = await flowsInProcess(["run", dir, "--flow", "kid", "--json"]);
      expect(unknown.code).toBe(2);
      expect(JSON.parse(unknown.stdout).error).toEqual({
        code: "CLI_FLOW_UNKNOWN",
        message: "no flow `kid` among the files given (flows: child, parent)",
        details: { flow: "kid", known: ["child", "parent"] },
        runId: null,
      });
    });
  });

  it("ends a run at --timeout with DEADLINE_EXCEEDED (exit 3)", async () => {
    const { code, stdout } = await flowsInProcess(["run", join(FIXTURES, "slow.yaml"), "--timeout", "50ms"]);
    expect(code).toBe(3);
    expect(stdout).toMatch(/run\.end\s+deadline_exceeded/);
  });

  it("cancels the run on Ctrl-C (SIGINT) and exits 130", async () => {
    const { code, stdout } = await interruptFlows(["run", join(FIXTURES, "slow.yaml")], "node.start");
    expect(code).toBe(130);
    expect(stdout).toMatch(/run\.end\s+cancelled/);
  });

  it("refuses a flow that needs Durable Objects with CLI_BINDINGS_UNSUPPORTED", async () => {
    const flow = file(
      "do.yaml",
      [
        "flows: 1",
        "id: counter",
        "version: 1.0.0",
        "bindings: { COUNTERS: { type: durableObject, className: FlowsState } }",
        "triggers: []",
        "nodes:",
        "  - { id: bump, kind: do.increment, inputs: { object: a, key: n }, retry: { attempts: 1 } }",
      ].join("\n"),
    );
    const { code, stderr } = await flowsInProcess(["run", flow]);
    expect(code).toBe(2);
    expect(stderr).toContain("error[CLI_BINDINGS_UNSUPPORTED] flow `counter` uses Durable Objects");
  });

  it("gives a flow that needs KV the real local binding through workerd", () => {
    const { code, stdout } = flowsCli(["run", join(FIXTURES, "kv.yaml"), "--json", "--input", "-"], {
      input: JSON.stringify({ message: { id: "m1", body: { n: 1 } } }),
    });
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.type === "node.output" && l.nodeId === "put").outputs).toEqual({
      out: "job/m1",
    });
    expect(lines.at(-1).output).toEqual({ n: 1 });
  }, 60_000);
});
