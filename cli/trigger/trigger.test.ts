import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DevServer, startDev } from "../package/dev-server.ts";
import { flowsCliAsync, freePort } from "../run/testing.ts";

// `flows trigger github|queue|cron` as a user runs them (the bin, in a child process, in the project folder whose
// .dev.vars holds the webhook secret), against a real `flows dev` serving a GitHub flow, a queue consumer and a cron flow.

const SECRET = "trigger-test-webhook-secret";
const temp = mkdtempSync(join(tmpdir(), "flows-trigger-"));
const project = join(temp, "flows");
let server: DevServer;

const FLOWS = {
  "labels.yaml": `flows: 1
id: labels
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
  GITHUB_WEBHOOK_SECRET: { type: secret }
triggers:
  - { type: github, events: [issues.opened] }
nodes:
  - id: seen
    kind: kv.put
    inputs:
      key: "\${{ 'seen/' + trigger.deliveryId }}"
      value: "\${{ trigger.payload.issue.title }}"
`,
  "tick.yaml": `flows: 1
id: tick
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
triggers:
  - { type: cron, schedule: "*/5 * * * *" }
nodes:
  - { id: last, kind: kv.put, inputs: { key: ticked, value: "\${{ trigger.cron }}" } }
`,
  "inbox.yaml": `flows: 1
id: inbox
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
  INBOX: { type: queue, queue: trigger-inbox }
triggers:
  - { type: queue, queue: trigger-inbox }
nodes:
  - { id: last, kind: kv.put, inputs: { key: inbox-last, value: "\${{ trigger.message.body }}" } }
`,
  "read.yaml": `flows: 1
id: read
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
triggers:
  - { type: http, method: GET, path: "/kv/:key" }
nodes:
  - { id: value, kind: kv.get, inputs: { key: "\${{ trigger.params.key }}" } }
  - { id: answer, kind: respond, inputs: { body: "\${{ nodes.value.out }}" } }
`,
};

beforeAll(async () => {
  mkdirSync(project, { recursive: true });
  for (const [name, text] of Object.entries(FLOWS)) writeFileSync(join(project, name), text);
  writeFileSync(join(project, ".dev.vars"), `GITHUB_WEBHOOK_SECRET="${SECRET}"\n`);
  server = await startDev([project], {
    out: join(temp, "out"),
    persistTo: join(temp, "state"),
    port: await freePort(),
    log: () => {},
  });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

/** `flows ...args` from the project folder, without a secret in the environment. */
const flows = (args: string[]) => flowsCliAsync(args, { cwd: project, unset: ["GITHUB_WEBHOOK_SECRET"] });

const kv = async (key: string): Promise<string> => (await fetch(`${server.url}/kv/${key}`)).text();

describe("flows trigger", () => {
  it("sends a signed GitHub delivery that is routed to its flow; the same --delivery again is a duplicate", async () => {
    writeFileSync(join(temp, "issue.json"), JSON.stringify({ issue: { number: 1, title: "hello" } }));
    const payload = join(temp, "issue.json");
    const first = await flows([
      "trigger",
      "github",
      "issues.opened",
      "--payload",
      payload,
      "--url",
      server.url,
      "--json",
    ]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const answer = JSON.parse(first.stdout) as {
      delivery: string;
      status: number;
      body: Record<string, unknown>;
    };
    expect(answer).toMatchObject({
      event: "issues.opened",
      status: 200,
      body: { ok: true, event: "issues.opened" },
    });
    expect(answer.body.flows).toEqual(["labels"]);
    await vi.waitFor(async () => expect(await kv(`seen%2F${answer.delivery}`)).toBe("hello"));

    const args = ["trigger", "github", "issues.opened", "--payload", payload, "--url", server.url];
    const again = await flows([...args, "--delivery", answer.delivery]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^delivery ${answer.delivery}  event issues.opened\\n200 OK`));
    expect(again.stdout).toContain('"duplicate": true');
  }, 60_000);

  it("exits 3 with the Worker's code for a wrong secret, 2 without one, 4 without a Worker", async () => {
    const payload = join(temp, "issue.json");
    const base = ["trigger", "github", "issues.opened", "--payload", payload, "--url", server.url];
    const wrong = await flows([...base, "--secret", "not-the-secret"]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/the Worker answered GITHUB_WEBHOOK_SIGNATURE_INVALID/);
    const unnamed = await flows([...base, "--secret-name", "OTHER_SECRET"]);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(/CLI_SECRET_MISSING.*set OTHER_SECRET in \.dev\.vars/);
    const mismatch = await flows([
      "trigger",
      "github",
      "issues.closed",
      "--payload",
      payload,
      "--url",
      server.url,
    ]);
    expect(mismatch.code).toBe(0); // the action is added to a payload without one: routed to nothing, still 200
    writeFileSync(join(temp, "closed.json"), JSON.stringify({ action: "closed" }));
    const conflict = await flows([
      "trigger",
      "github",
      "issues.opened",
      "--payload",
      join(temp, "closed.json"),
    ]);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toContain('has action "closed", not "opened"');
    const nobody = await flows([...base.slice(0, 5), "--url", `http://127.0.0.1:${await freePort()}`]);
    expect(nobody.code).toBe(4);
    expect(nobody.stderr).toMatch(/CLI_TRIGGER_UNREACHABLE/);
  }, 60_000);

  it("puts a message on a local queue that the Worker consumes; text as text; an unknown queue exits 3", async () => {
    const token = decodeURIComponent(server.viewerUrl.split("#token=")[1]!);
    writeFileSync(join(temp, "message.json"), JSON.stringify({ text: "from the queue" }));
    const sent = await flows([
      "trigger",
      "queue",
      "trigger-inbox",
      "--message",
      join(temp, "message.json"),
      "--url",
      server.url,
      "--token",
      token,
    ]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^queue trigger-inbox\n202 Accepted/);
    await vi.waitFor(
      async () => expect(JSON.parse(await kv("inbox-last"))).toEqual({ text: "from the queue" }),
      {
        timeout: 10_000,
      },
    );

    // Without --token: the one `flows dev` wrote for that port (its default --out, .flows/dev/<port>).
    const port = new URL(server.url).port;
    mkdirSync(join(project, ".flows", "dev", port), { recursive: true });
    writeFileSync(join(project, ".flows", "dev", port, ".dev.vars"), `FLOWS_ADMIN_TOKEN=${token}\n`);
    writeFileSync(join(temp, "words.txt"), "plain words");
    const text = ["--message", join(temp, "words.txt"), "--content-type", "text", "--url", server.url];
    const plain = await flows(["trigger", "queue", "trigger-inbox", ...text, "--json"]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({
      queue: "trigger-inbox",
      status: 202,
      body: { contentType: "text" },
    });
    await vi.waitFor(async () => expect(await kv("inbox-last")).toBe("plain words"), { timeout: 10_000 });

    const unknown = await flows(["trigger", "queue", "nowhere", ...text]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(
      /QUEUE_NOT_FOUND: no flow consumes queue `nowhere`: the consumed queues are trigger-inbox/,
    );
    const wrong = await flows(["trigger", "queue", "trigger-inbox", ...text, "--token", "x".repeat(32)]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/RUNS_FORBIDDEN/);
    const notJson = await flows([
      "trigger",
      "queue",
      "trigger-inbox",
      "--message",
      join(temp, "words.txt"),
      "--url",
      server.url,
    ]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/is not JSON.*--content-type text/);
  }, 60_000);

  it("fires a flow's cron schedule, found in its file", async () => {
    const fired = await flows(["trigger", "cron", "tick", "--flows", ".", "--url", server.url]);
    expect(fired.stderr).toBe("");
    expect(fired.code).toBe(0);
    expect(fired.stdout).toMatch(/^flow tick {2}cron \*\/5 \* \* \* \*\n200 OK/);
    await vi.waitFor(async () => expect(await kv("ticked")).toBe("*/5 * * * *"));
    const unknown = await flows(["trigger", "cron", "read", "--flows", ".", "--url", server.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("flow `read` has no cron trigger");
  }, 60_000);
});

describe("signature", () => {
  it("is GitHub's: the example of its documentation", async () => {
    const { signature } = await import("./github.ts");
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signature("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });
});
