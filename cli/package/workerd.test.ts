import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { unstable_startWorker } from "wrangler";
import { type CommandIO, runPackage } from "../commands/package.ts";
import type { PackageResult } from "./index.ts";

// Wrangler is the judge of the generated configuration (`deploy --dry-run`, offline), and workerd of the bundle.
process.env.WRANGLER_SEND_METRICS = "false";
const temp = mkdtempSync(join(tmpdir(), "flows-workerd-"));
const WEBHOOK_SECRET = "packaged-example-secret";
const ADMIN_TOKEN = "packaged-example-admin-token-0123";

function capture(): CommandIO & { stdout: { isTTY: boolean }; text: () => string } {
  let text = "";
  return {
    stdout: { isTTY: false },
    out: (t) => {
      text += t;
    },
    err: () => {},
    setExitCode: () => {},
    text: () => text,
  };
}

describe("wrangler deploy --dry-run on the package of each example folder, and of every binding type", () => {
  for (const path of [
    "examples/s3_workers_echo",
    "examples/capabilities",
    "examples/upload-pipeline",
    "examples/cron-report",
    "examples/github-app",
    "examples/approval",
    "cli/package/fixtures/all-bindings/flows",
  ]) {
    it(`accepts ${path}`, async () => {
      const io = capture();
      const out = join(temp, `dry-${path.replaceAll("/", "_")}`);
      const options = { out, dryRun: true, json: true, route: ["example.com/*"] };
      const code = await runPackage([path], options, io);
      const report = JSON.parse(io.text()) as PackageResult & { deploy: { code: number; output: string } };
      expect(report.deploy.output).toContain("--dry-run: exiting now.");
      expect(code).toBe(0);
      expect(report.deploy.code).toBe(0);
      // wrangler uploads exactly the bundle the packager measured.
      const uploaded = /Total Upload: ([\d.]+) KiB/.exec(report.deploy.output);
      expect(Number(uploaded?.[1])).toBeCloseTo(report.bundle.raw / 1024, 1);
      // Every example records its failed runs: the run store's binding is declared, with its class.
      expect(report.deploy.output).toMatch(/env\.FLOWS_RUNS \(FlowsRuns\)\s+Durable Object/);
      // A durable flow's Worker binds its Workflow, whose class the entry exports (wrangler checks both).
      if (path === "examples/approval")
        expect(report.deploy.output).toMatch(/env\.FLOWS_WORKFLOW \(FlowsWorkflow\)\s+Workflow/);
      // A Worker that calls GitHub's REST API binds the shared rate budget, whose class the entry exports.
      if (path === "examples/github-app")
        expect(report.deploy.output).toMatch(/env\.GITHUB_BUDGET \(FlowsGitHubBudget\)\s+Durable Object/);
    }, 60_000);
  }
});

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker;

beforeAll(async () => {
  const out = join(temp, "served");
  const code = await runPackage(["examples"], { out, name: "flows-served-test" }, capture());
  expect(code).toBe(0);
  // The GitHub example's webhook secret, where `wrangler dev` reads secrets locally.
  writeFileSync(
    join(out, ".dev.vars"),
    `GITHUB_WEBHOOK_SECRET=${WEBHOOK_SECRET}\nFLOWS_ADMIN_TOKEN=${ADMIN_TOKEN}\n`,
  );
  worker = await unstable_startWorker({
    config: join(out, "wrangler.jsonc"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false },
  });
  await worker.ready;
}, 90_000);

afterAll(async () => {
  await worker?.dispose();
  rmSync(temp, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: string, type = "application/json") =>
  (await worker.fetch(`http://127.0.0.1${path}`, {
    method,
    ...(body !== undefined ? { body, headers: { "content-type": type } } : {}),
  })) as unknown as Response;

describe("the packaged examples served by workerd", () => {
  it("runs the durable approval example on its Workflow: 202, the decision event, then ok in the run API", async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    const started = await call("POST", "/approvals", '{"change":"deploy 7"}');
    expect(started.status).toBe(202);
    const { runId, statusUrl } = (await started.json()) as { runId: string; statusUrl: string };
    expect(runId).toMatch(/^approval_/);
    const event = (await worker.fetch(`http://127.0.0.1/_flows/runs/${runId}/events/decision`, {
      method: "POST",
      body: '{"approved":true,"by":"ada"}',
      headers: auth,
    })) as unknown as Response;
    expect(event.status).toBe(202);
    await vi.waitFor(
      async () => {
        const view = (await (
          (await worker.fetch(`http://127.0.0.1${statusUrl}`, { headers: auth })) as unknown as Response
        ).json()) as { status: string; output?: unknown };
        expect(view).toMatchObject({
          status: "ok",
          output: { status: 200, body: { status: "approved", by: "ada", change: "deploy 7" } },
        });
      },
      { timeout: 20_000, interval: 200 },
    );
  });

  it("answers the HTTP flows", async () => {
    const echo = await call("POST", "/echo", '{"a":1}');
    expect(echo.status).toBe(200);
    expect(await echo.json()).toEqual({ a: 1 });
    const greet = await call("POST", "/greet", '{"hour":20,"name":"Ada"}');
    expect(await greet.json()).toEqual({ greeting: "Good evening, Ada!" });
    const health = (await (await call("GET", "/_flows/health")).json()) as { flows: { id: string }[] };
    expect(JSON.stringify(health)).toContain("queue-to-kv");
  });

  it("uses its local R2 bucket and queue producer", async () => {
    const put = await call("PUT", "/files/hello.txt", "hello, R2", "application/octet-stream");
    expect(put.status).toBe(200);
    const get = await call("GET", "/files/hello.txt");
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("hello, R2");
    const missing = await call("GET", "/files/none.txt");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("FILE_NOT_FOUND");
    const job = await call("POST", "/jobs", '{"job":1}');
    expect(job.status).toBe(202);
    expect(await job.json()).toEqual({ queued: 1 });
  });

  it("runs the upload pipeline: upload into R2, queue, consumer flow into KV and a Durable Object", async () => {
    const put = await call("PUT", "/uploads/report.bin", "x".repeat(4096), "application/octet-stream");
    expect(put.status).toBe(202);
    const status = await vi.waitFor(
      async () => {
        const answer = await call("GET", "/uploads/report.bin/status");
        expect(answer.status).toBe(200);
        return (await answer.json()) as { upload: { size: number }; processed: number };
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(status.upload.size).toBe(4096);
    expect(status.processed).toBeGreaterThanOrEqual(1);
    const report = await call("POST", "/reports");
    expect(report.status).toBe(200);
    expect(((await report.json()) as { uploads: number }).uploads).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("verifies, routes and de-duplicates a GitHub webhook with the secret from .dev.vars", async () => {
    const body = JSON.stringify({
      action: "opened",
      issue: { number: 7, title: "Packaged", user: { login: "octocat" } },
      repository: { full_name: "octocat/hello" },
      installation: { id: 42 },
    });
    const deliver = async (signature: string) =>
      (await worker.fetch("http://127.0.0.1/api/github/webhooks", {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": "issues",
          "x-github-delivery": "packaged-delivery-1",
          "x-hub-signature-256": signature,
        },
      })) as unknown as Response;
    const signature = await sign(WEBHOOK_SECRET, body);
    const first = await deliver(signature);
    expect(first.status).toBe(200);
    const again = await deliver(signature);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-flows-duplicate")).toBe("true");
    const forged = await deliver(await sign("not-the-secret", body));
    expect(forged.status).toBe(401);
  }, 30_000);

  it("serves the bundle the packager wrote: the flows compiled to JSON documents", () => {
    const bundle = readFileSync(join(temp, "served", "worker.js"), "utf8");
    const flows = JSON.parse(readFileSync(join(temp, "served", "flows.json"), "utf8")) as { id: string }[];
    expect(flows.map((f) => f.id)).toContain("queue-to-kv");
    expect(bundle.includes("queue-to-kv")).toBe(true);
  });
});

describe("a packaged Worker with Durable Objects, vars and secrets, served by workerd", () => {
  it("counts in FlowsState (its migration applied) and reads the var", async () => {
    const out = join(temp, "all-bindings");
    expect(await runPackage(["cli/package/fixtures/all-bindings/flows"], { out }, capture())).toBe(0);
    const counter = await unstable_startWorker({
      config: join(out, "wrangler.jsonc"),
      dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false },
    });
    try {
      await counter.ready;
      const count = async () =>
        (await (
          (await counter.fetch("http://127.0.0.1/count/ada", { method: "POST" })) as unknown as Response
        ).json()) as unknown;
      expect(await count()).toEqual({ visits: 1, greeting: "hello" });
      expect(await count()).toEqual({ visits: 2, greeting: "hello" });
    } finally {
      await counter.dispose();
    }
  }, 90_000);
});
