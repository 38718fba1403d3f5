import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { ROOT } from "../../test/flows.ts";
import { flowsCliAsync, freePort } from "../run/testing.ts";

// `flows runs list|show` as a user runs them (the bin, in a child process), against the example Worker served by
// workerd with its run store (FLOWS_RUNS of the root wrangler.toml) and the FLOWS_ADMIN_TOKEN secret.

const TOKEN = "cli-runs-test-admin-token-0123";
process.env.WRANGLER_SEND_METRICS = "false";

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker;
let base: string;

beforeAll(async () => {
  worker = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    bindings: { FLOWS_ADMIN_TOKEN: { type: "secret_text", value: TOKEN } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false },
  });
  await worker.ready;
  base = (await worker.url).origin;
}, 90_000);

afterAll(async () => {
  await worker?.dispose();
});

/** `flows ...args`, without colours and without a token in the environment unless given. */
const flows = (args: string[], env: Record<string, string> = {}) =>
  flowsCliAsync(args, { env, unset: ["FLOWS_ADMIN_TOKEN"] });

/** A failed run of the example `files-download` (a file that is not there): recorded by default. */
async function failedRun(): Promise<string> {
  const response = await fetch(`${base}/files/missing-${crypto.randomUUID()}.txt`);
  expect(response.status).toBe(404);
  await response.arrayBuffer();
  return response.headers.get("x-flow-run-id")!;
}

/** The record is written after the answer (waitUntil): wait until the API has it. */
async function recorded(runId: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${base}/_flows/runs/${runId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await r.arrayBuffer();
    if (r.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} was not recorded`);
}

describe("flows runs", () => {
  it("shows a recorded run: status, the failing node's error, each node, the events kept", async () => {
    const runId = await failedRun();
    await recorded(runId);
    const shown = await flows(["runs", "show", runId, "--url", base, "--token", TOKEN]);
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(`^run ${runId}  flow files-download \\d+\\.\\d+\\.\\d+  trigger http:http\\n`),
    );
    expect(shown.stdout).toMatch(/^failed in \d+ ms, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/m);
    expect(shown.stdout).toMatch(/^error FILE_NOT_FOUND: no file missing-.*\.txt \(node missing\)$/m);
    expect(shown.stdout).toMatch(/^node +status +ms +attempts +error$/m);
    expect(shown.stdout).toMatch(/^missing +failed +\d+ +1 +FILE_NOT_FOUND: no file/m);
    expect(shown.stdout).toContain("events: 0 stored");

    const json = await flows(["runs", "show", runId, "--url", base, "--json"], { FLOWS_ADMIN_TOKEN: TOKEN });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId, flowId: "files-download", status: "failed" });
  }, 60_000);

  it("lists a flow's runs newest first, and pages them", async () => {
    const first = await failedRun();
    const second = await failedRun();
    await recorded(first);
    await recorded(second);
    const listed = await flows(["runs", "list", "--url", base, "--flow", "files-download", "--token", TOKEN]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^started \(UTC\) +status +ms +trigger +version +run id$/);
    const ids = lines.slice(1).map((line) => line.split(/ +/).at(-1));
    expect(ids.indexOf(second)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(first)).toBeGreaterThan(ids.indexOf(second));

    const page = await flows(
      [
        "runs",
        "list",
        "--url",
        base,
        "--flow",
        "files-download",
        "--limit",
        "1",
        "--status",
        "failed",
        "--json",
      ],
      { FLOWS_ADMIN_TOKEN: TOKEN },
    );
    const body = JSON.parse(page.stdout) as { runs: { runId: string }[]; cursor: string };
    expect(body.runs).toHaveLength(1);
    const next = await flows(
      ["runs", "list", "--url", base, "--flow", "files-download", "--limit", "1", "--cursor", body.cursor],
      { FLOWS_ADMIN_TOKEN: TOKEN },
    );
    expect(next.code).toBe(0);
    expect(next.stdout).not.toContain(body.runs[0]!.runId);
    expect(next.stdout).toMatch(/^next page: --cursor \S+$/m);
  }, 60_000);

  it("lists and shows a durable run while it waits, and after its event", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const started = await fetch(`${base}/approvals`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"change":"cli"}',
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const args = ["--url", base, "--token", TOKEN];
    let listed = "";
    for (let i = 0; i < 50 && !listed.includes("waiting for"); i++) {
      listed = (await flows(["runs", "list", "--flow", "approval", ...args])).stdout;
      if (!listed.includes("waiting for")) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const line = listed.split("\n").find((l) => l.endsWith(runId));
    expect(line).toMatch(
      / waiting for event decision until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +http:http /,
    );
    const waiting = await flows(["runs", "show", runId, ...args]);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(
      new RegExp(`^run ${runId}  durable flow approval \\S+  trigger http:http\\n`),
    );
    expect(waiting.stdout).toMatch(/^waiting, started .* UTC \(instance (running|waiting)\)$/m);
    expect(waiting.stdout).toMatch(/^waiting for event decision until /m);
    const sent = await fetch(`${base}/_flows/runs/${runId}/events/decision`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: '{"approved":true,"by":"cli"}',
    });
    expect(sent.status).toBe(202);
    let shown = "";
    for (let i = 0; i < 50 && !/^ok /m.test(shown); i++) {
      shown = (await flows(["runs", "show", runId, ...args])).stdout;
      if (!/^ok /m.test(shown)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(shown).toMatch(/^ok in \d+ ms, started .* UTC \(instance complete\)$/m);
    expect(shown).toContain('"status":"approved"');
  }, 60_000);

  it("exits 3 with the Worker's code for a refused or unknown run, 2 without a token, 4 without an answer", async () => {
    const wrong = await flows(["runs", "show", "x", "--url", base, "--token", "not-the-token-at-all"]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toBe(
      "flows: error[CLI_RUNS_REFUSED] 403 RUNS_FORBIDDEN: the bearer token is not the Worker's FLOWS_ADMIN_TOKEN\n",
    );
    const unknown = await flows(["runs", "show", "no-such-run", "--url", base, "--token", TOKEN, "--json"]);
    expect(unknown.code).toBe(3);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: { code: "CLI_RUNS_REFUSED", details: { status: 404, error: { code: "RUN_NOT_FOUND" } } },
    });
    const noToken = await flows(["runs", "list", "--url", base, "--flow", "files-download"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^flows: error\[CLI_TOKEN_MISSING\] /);
    const noFlow = await flows(["runs", "list", "--url", base, "--token", TOKEN]);
    expect(noFlow.code).toBe(2);
    expect(noFlow.stderr).toContain("--flow <id> is required");
    const port = await freePort();
    const gone = await flows(["runs", "show", "x", "--url", `http://127.0.0.1:${port}`, "--token", TOKEN]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(
      /^flows: error\[CLI_RUNS_UNREACHABLE\] no answer from http:\/\/127\.0\.0\.1:\d+ /,
    );
    const badUrl = await flows(["runs", "show", "x", "--url", "ftp://x", "--token", TOKEN]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("CLI_OPTION_INVALID");
  }, 60_000);

  it("documents its options and exit codes in --help", async () => {
    const help = await flows(["runs", "list", "--help"]);
    expect(help.code).toBe(0);
    for (const option of ["--url", "--flow", "--status", "--limit", "--cursor", "--token", "--json"])
      expect(help.stdout).toContain(option);
    expect(help.stdout).toContain("Exit codes: 0 ok, 2 usage error");
    const top = await flows(["--help"]);
    expect(top.stdout).toMatch(/^ {2}runs /m);
  });
});
