import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CAPABILITY_DECLARATIONS } from "../../capabilities/declarations.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { GITHUB_QUEUE_FLOWS } from "../../hosts/workers/fixtures/github-queue/flows.ts";
import { defaultCatalog } from "../catalog.ts";
import { analyzeFlows, countSubrequests, staticLength } from "./analyze.ts";
import { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS, renderConfig, wranglerConfig } from "./config.ts";
import { entryModule } from "./entry.ts";
import { PACKAGE_CODES, PackageError } from "./errors.ts";
import { type PackageOptions, type PackageResult, packageWorkers, workerName } from "./index.ts";
import { parseSize } from "./limits.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
/** Flows using every binding type, trigger type and Durable Object class the packager handles. */
const ALL_BINDINGS = "cli/package/fixtures/all-bindings/flows";
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const temp = mkdtempSync(join(tmpdir(), "flows-package-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Compares with a golden file (`UPDATE_GOLDEN=1` rewrites it). */
function golden(name: string, actual: string): void {
  const file = new URL(name, FIXTURES);
  if (UPDATE) {
    mkdirSync(new URL(".", file), { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

/** JSONC → value: the packager's comments are whole lines starting with `//`. */
const parseJsonc = (text: string): Record<string, unknown> =>
  JSON.parse(text.replace(/^\s*\/\/.*$/gm, "")) as Record<string, unknown>;

describe("flows package workers: the example folders (golden files)", () => {
  const cases: [name: string, path: string, options: Partial<PackageOptions>][] = [
    ["s3_workers_echo", "examples/s3_workers_echo", {}],
    ["capabilities", "examples/capabilities", {}],
    // Every binding type, a queue consumer, crons, a var, a secret, FlowsState and FlowsRuntime, a route.
    ["all-bindings", ALL_BINDINGS, { name: "all-bindings", routes: ["example.com/*"] }],
  ];
  for (const [name, path, options] of cases) {
    it(`packages ${path}: wrangler.jsonc, entry.js and the file list as the golden files`, async () => {
      const out = join(temp, name);
      const result = (await packageWorkers([path], { out, ...options })) as PackageResult;
      expect(result.ok).toBe(true);
      golden(`${name}/wrangler.jsonc`, readFileSync(join(out, "wrangler.jsonc"), "utf8"));
      golden(`${name}/entry.js`, readFileSync(join(out, "entry.js"), "utf8"));
      golden(`${name}/files.json`, `${JSON.stringify(result.files, null, 2)}\n`);
      const flows = JSON.parse(readFileSync(join(out, "flows.json"), "utf8")) as FlowDocument[];
      expect(flows.map((f) => f.id)).toEqual(result.flows.map((f) => f.id));
      expect(result.bundle.gzip).toBeGreaterThan(1000);
      expect(result.bundle.gzip).toBeLessThan(result.bundle.raw);
      expect(readFileSync(join(out, "worker.js")).byteLength).toBe(result.bundle.raw);
    });
  }

  it("bundles only the capabilities used: no R2 code in the echo Worker", () => {
    const echo = readFileSync(join(temp, "s3_workers_echo", "worker.js"), "utf8");
    const capabilities = readFileSync(join(temp, "capabilities", "worker.js"), "utf8");
    expect(capabilities.includes("r2.multipart.create")).toBe(true);
    expect(echo.includes("r2.multipart.create")).toBe(false);
  });

  it("uses the root wrangler.toml's compatibility date and enable_request_signal", () => {
    const root = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    expect(root).toContain(`compatibility_date = "${COMPATIBILITY_DATE}"`);
    expect(COMPATIBILITY_FLAGS).toContain("enable_request_signal");
  });
});

const flow = (doc: Partial<FlowDocument> & Pick<FlowDocument, "id">): FlowDocument => ({
  flows: 1,
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: `/${doc.id}` }],
  nodes: [{ id: "reply", kind: "respond", inputs: { body: "ok" } }],
  ...doc,
});

describe("the generated configuration", () => {
  const catalog = defaultCatalog();

  it("has every binding, the consumer, crons, vars, secret names (no values), Durable Objects and their migration", () => {
    const docs = [
      flow({
        id: "a",
        bindings: {
          FILES: { type: "r2", bucket: "files" },
          STATE: { type: "durableObject", className: "FlowsState" },
          GREETING: { type: "var", value: { text: "hi", n: null } },
          TOKEN: { type: "secret" },
        },
        triggers: [
          { type: "http", method: "GET", path: "/a" },
          { type: "cron", schedule: "0 * * * *" },
        ],
        nodes: [{ id: "get", kind: "do.get", inputs: { object: "o", key: "k" } }],
      }),
      flow({
        id: "b",
        bindings: { JOBS: { type: "queue", queue: "jobs" }, KV: { type: "kv" } },
        triggers: [
          {
            type: "queue",
            queue: "jobs",
            batchSize: 5,
            maxRetries: 2,
            deadLetterQueue: "jobs-dlq",
            retryDelay: "1m",
          },
          { type: "cron", schedule: "0 * * * *" },
        ],
        nodes: [{ id: "put", kind: "kv.put", inputs: { key: "k", value: "v" } }],
      }),
    ];
    const analysis = analyzeFlows(docs, catalog, CAPABILITY_DECLARATIONS);
    expect(analysis.capabilities.map((c) => c.name)).toEqual(["kv", "durable-objects"]);
    expect(analysis.objectClasses).toEqual(["FlowsRuns", "FlowsRuntime", "FlowsState"]);
    const options = { name: "demo", files: ["a.yaml", "b.yaml"], routes: ["example.com/*"] };
    const config = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, options);
    expect(config).toEqual({
      name: "demo",
      main: "worker.js",
      no_bundle: true,
      compatibility_date: COMPATIBILITY_DATE,
      compatibility_flags: ["enable_request_signal"],
      routes: ["example.com/*"],
      vars: { GREETING: { text: "hi", n: null } },
      kv_namespaces: [{ binding: "KV" }],
      r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
      queues: {
        producers: [{ binding: "JOBS", queue: "jobs" }],
        consumers: [
          {
            queue: "jobs",
            max_batch_size: 5,
            max_retries: 2,
            retry_delay: 60,
            dead_letter_queue: "jobs-dlq",
          },
        ],
      },
      durable_objects: {
        bindings: [
          { name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" },
          { name: "FLOWS_RUNS", class_name: "FlowsRuns" },
          { name: "STATE", class_name: "FlowsState" },
        ],
      },
      migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsRuntime", "FlowsRuns", "FlowsState"] }],
      triggers: { crons: ["0 * * * *"] },
      secrets: { required: ["TOKEN"] },
      observability: { enabled: true, head_sampling_rate: 1, logs: { enabled: true, invocation_logs: true } },
    });
    const text = renderConfig(config, analysis, options);
    expect(parseJsonc(text)).toEqual(config);
    expect(text).toMatch(/^\/\/ Secrets, never written here: .*TOKEN$/m);
    expect(text).toContain("//   GET /a (a)");
    const entry = entryModule(analysis);
    expect(entry).toContain('import { KV_KINDS } from "flows-runtime/capabilities/kv/kinds";');
    expect(entry).toContain('import { DO_KINDS } from "flows-runtime/capabilities/durable-objects/kinds";');
    expect(entry).not.toContain("R2_KINDS");
    expect(entry).toContain(
      'export { FlowsRuns, FlowsRuntime, FlowsState } from "flows-runtime/hosts/workers/objects";',
    );
  });

  it("writes Workers Logs (sampled as asked), traces only when asked for, and no observability with false", () => {
    const analysis = analyzeFlows([flow({ id: "o" })], defaultCatalog(), CAPABILITY_DECLARATIONS);
    const base = { name: "o", files: ["o.yaml"] };
    const sampled = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, {
      ...base,
      observability: { logSampling: 0.25, traceSampling: 0.01 },
    });
    expect(sampled.observability).toEqual({
      enabled: true,
      head_sampling_rate: 0.25,
      logs: { enabled: true, invocation_logs: true },
      traces: { enabled: true, head_sampling_rate: 0.01 },
    });
    const off = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, { ...base, observability: false });
    expect(off).not.toHaveProperty("observability");
  });

  it("binds the Workflow of a durable flow, exports its class, and asks for the admin token when a run waits for events", () => {
    const docs = [
      flow({
        id: "approve",
        durable: true,
        nodes: [{ id: "decision", kind: "wait", config: { event: "decision" } }],
      }),
    ];
    const analysis = analyzeFlows(docs, catalog, CAPABILITY_DECLARATIONS);
    expect(analysis.durable).toBe(true);
    expect(analysis.secrets).toEqual(["FLOWS_ADMIN_TOKEN"]);
    const config = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, { name: "a-worker", files: ["a.yaml"] });
    expect(config.workflows).toEqual([
      { name: "a-worker-flows", binding: "FLOWS_WORKFLOW", class_name: "FlowsWorkflow" },
    ]);
    expect(entryModule(analysis)).toContain(
      'export { FlowsRuns, FlowsWorkflow } from "flows-runtime/hosts/workers/objects";',
    );
    const plain = analyzeFlows([flow({ id: "plain" })], catalog, CAPABILITY_DECLARATIONS);
    expect(plain.durable).toBe(false);
    expect(
      wranglerConfig(plain, CAPABILITY_DECLARATIONS, { name: "p", files: [] }).workflows,
    ).toBeUndefined();
  });

  it("generates the consumer, with a dead-letter queue, for a folder whose only flow is an `ack: queue` GitHub trigger", async () => {
    const dir = join(temp, "github-queue-flows");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "on-issue.yaml"),
      [
        "flows: 1",
        "id: on-issue",
        "version: 1.0.0",
        "bindings:",
        "  GITHUB_WEBHOOK_SECRET: { type: secret }",
        "  GH_EVENTS: { type: queue, queue: gh-events }",
        "triggers:",
        "  - { type: github, events: [issues.opened], ack: queue, queue: GH_EVENTS }",
        "nodes:",
        "  - { id: seen, kind: transform, inputs: { value: '${{ trigger.deliveryId }}' } }",
        "",
      ].join("\n"),
    );
    const out = join(temp, "github-queue");
    const result = await packageWorkers([dir], { out });
    expect(result.ok).toBe(true);
    const config = parseJsonc(readFileSync(join(out, "wrangler.jsonc"), "utf8"));
    expect(config.queues).toEqual({
      producers: [{ binding: "GH_EVENTS", queue: "gh-events" }],
      consumers: [{ queue: "gh-events", dead_letter_queue: "gh-events-dlq" }],
    });
    expect(config.durable_objects).toEqual({
      bindings: [
        { name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" },
        { name: "FLOWS_RUNS", class_name: "FlowsRuns" },
      ],
    });
    // The webhook flows get the platform's waitUntil: a delivery is completed in the ledger after the answer.
    const entry = readFileSync(join(out, "entry.js"), "utf8");
    expect(entry).toContain('import { waitUntil } from "cloudflare:workers";');
    expect(entry).toContain("github: GITHUB_TRIGGERS, waitUntil });");
  });

  it("the ack: queue end-to-end worker's config consumes its queues as the packager would (plus its test speed-ups)", () => {
    const analysis = analyzeFlows(GITHUB_QUEUE_FLOWS, catalog, CAPABILITY_DECLARATIONS);
    const generated = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, { name: "x", files: [] });
    const fixture = parseJsonc(
      readFileSync(
        new URL("../../hosts/workers/fixtures/github-queue/wrangler.jsonc", import.meta.url),
        "utf8",
      ),
    );
    const queues = fixture.queues as { consumers: Record<string, unknown>[] };
    const consumers = queues.consumers.map(({ max_retries: _r, max_batch_timeout: _t, ...rest }) => rest);
    expect({ ...queues, consumers }).toEqual(generated.queues);
  });

  it("leaves the FlowsRuntime object out when no flow has a queue trigger or an idempotency key", () => {
    const analysis = analyzeFlows([flow({ id: "a" })], catalog, CAPABILITY_DECLARATIONS);
    const config = wranglerConfig(analysis, CAPABILITY_DECLARATIONS, { name: "a", files: [] });
    expect(config.durable_objects).toEqual({ bindings: [{ name: "FLOWS_RUNS", class_name: "FlowsRuns" }] });
    expect(config.migrations).toEqual([{ tag: "v1", new_sqlite_classes: ["FlowsRuns"] }]);
    expect(entryModule(analysis)).toContain(
      'export { FlowsRuns } from "flows-runtime/hosts/workers/objects";',
    );
  });

  it("declares the run store unless every flow says runs: { record: none }, and counts its calls", () => {
    const none = flow({ id: "a", runs: { record: "none" } });
    const quiet = analyzeFlows([none], catalog, CAPABILITY_DECLARATIONS);
    expect(quiet.runs).toBe(false);
    expect(
      wranglerConfig(quiet, CAPABILITY_DECLARATIONS, { name: "a", files: [] }).durable_objects,
    ).toBeUndefined();
    expect(entryModule(quiet)).not.toContain("export {");
    expect(quiet.subrequests).toEqual([{ flowId: "a", count: 0, unbounded: false }]);
    const mixed = analyzeFlows(
      [none, flow({ id: "b", runs: { record: "all" } })],
      catalog,
      CAPABILITY_DECLARATIONS,
    );
    expect(mixed.runs).toBe(true);
    expect(mixed.objectClasses).toEqual(["FlowsRuns"]);
    // A recorded run calls its object, its index shard and (at maxRuns) the run the shard drops.
    expect(mixed.subrequests).toEqual([
      { flowId: "a", count: 0, unbounded: false },
      { flowId: "b", count: 3, unbounded: false },
    ]);
  });

  it("declares the shared GitHub budget for GitHub REST nodes (map templates too), unless each says budget: false", () => {
    const comment = {
      id: "c",
      kind: "github.comment",
      inputs: { owner: "o", repo: "r", issue_number: 1, body: "hi" },
    };
    const uses = flow({ id: "a", runs: { record: "none" }, nodes: [comment] });
    const analysis = analyzeFlows([uses], catalog, CAPABILITY_DECLARATIONS);
    expect(analysis.githubBudgets).toEqual(["GITHUB_BUDGET"]);
    expect(analysis.objectClasses).toEqual(["FlowsGitHubBudget"]);
    expect(wranglerConfig(analysis, CAPABILITY_DECLARATIONS, { name: "a", files: [] })).toMatchObject({
      durable_objects: { bindings: [{ name: "GITHUB_BUDGET", class_name: "FlowsGitHubBudget" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsGitHubBudget"] }],
    });
    expect(entryModule(analysis)).toContain(
      'export { FlowsGitHubBudget } from "flows-runtime/hosts/workers/objects";',
    );
    // The call, plus a take and a report of the budget.
    expect(analysis.subrequests).toEqual([{ flowId: "a", count: 3, unbounded: false }]);
    const mapped = flow({
      id: "m",
      runs: { record: "none" },
      nodes: [
        {
          id: "each",
          kind: "map",
          inputs: { items: [1, 2] },
          config: { node: { kind: "github.comment", config: { budget: "OTHER_BUDGET" } } },
        },
      ],
    });
    expect(analyzeFlows([mapped], catalog, CAPABILITY_DECLARATIONS).githubBudgets).toEqual(["OTHER_BUDGET"]);
    const off = flow({
      id: "b",
      runs: { record: "none" },
      nodes: [{ ...comment, config: { budget: false } }],
    });
    const none = analyzeFlows([off], catalog, CAPABILITY_DECLARATIONS);
    expect(none.githubBudgets).toEqual([]);
    expect(none.objectClasses).toEqual([]);
    expect(none.subrequests).toEqual([{ flowId: "b", count: 1, unbounded: false }]);
  });

  it("declares the run store for a flow with an onDisconnect: continue route, even with record: none", () => {
    const continuing = flow({
      id: "a",
      runs: { record: "none" },
      triggers: [{ type: "http", method: "GET", path: "/a", response: "sse", onDisconnect: "continue" }],
    });
    const analysis = analyzeFlows([continuing], catalog, CAPABILITY_DECLARATIONS);
    expect(analysis.runs).toBe(true);
    expect(analysis.objectClasses).toEqual(["FlowsRuns"]);
  });

  it("refuses one binding name declared differently by two flows", () => {
    const docs = [
      flow({ id: "a", bindings: { FILES: { type: "r2", bucket: "one" } } }),
      flow({ id: "b", bindings: { FILES: { type: "r2", bucket: "two", description: "x" } } }),
    ];
    expect(() => analyzeFlows(docs, catalog, CAPABILITY_DECLARATIONS)).toThrow(
      expect.objectContaining({ code: "PACKAGE_BINDING_CONFLICT" }),
    );
    const same = [
      docs[0] as FlowDocument,
      flow({ id: "c", bindings: { FILES: { type: "r2", bucket: "one", description: "y" } } }),
    ];
    expect(analyzeFlows(same, catalog, CAPABILITY_DECLARATIONS).bindings.FILES).toEqual({
      type: "r2",
      bucket: "one",
    });
  });

  it("refuses a Durable Object class the packaged Worker does not export", () => {
    const docs = [flow({ id: "a", bindings: { ROOMS: { type: "durableObject", className: "Room" } } })];
    expect(() => analyzeFlows(docs, catalog, CAPABILITY_DECLARATIONS)).toThrow(
      expect.objectContaining({ code: "PACKAGE_UNKNOWN_DO_CLASS" }),
    );
  });
});

describe("subrequest counting", () => {
  const catalog = defaultCatalog();
  const kvGet = { id: "get", kind: "kv.get", inputs: { key: "k" } };

  it("counts each non-pure node once per attempt, and nothing for pure nodes", () => {
    const docs = [
      flow({
        id: "a",
        nodes: [
          kvGet,
          { id: "fetch", kind: "http.fetch", inputs: { url: "https://x.test" }, retry: { attempts: 3 } },
          { id: "t", kind: "transform", inputs: { x: 1 } },
        ],
      }),
    ];
    expect(countSubrequests(docs, catalog, false)).toEqual([{ flowId: "a", count: 1 + 1, unbounded: false }]);
    // http.fetch is external: without an idempotency key its retry is not applied (1 attempt); with one, 3.
    const keyed = [
      flow({
        id: "a",
        nodes: [
          {
            id: "f",
            kind: "http.fetch",
            inputs: { url: "https://x.test" },
            retry: { attempts: 3 },
            idempotencyKey: "${{ trigger.body.id }}",
          },
        ],
      }),
    ];
    expect(countSubrequests(keyed, catalog, false)[0]?.count).toBe(3);
    // With the runtime bound, an idempotent node also claims and completes its key in the ledger.
    expect(countSubrequests(keyed, catalog, true)[0]?.count).toBe(9);
  });

  it("multiplies a map's template by a known item count, and marks an unknown one unbounded", () => {
    const map = (items: unknown) =>
      flow({
        id: "m",
        nodes: [
          {
            id: "each",
            kind: "map",
            inputs: { items: items as never },
            config: { node: { kind: "kv.get", inputs: { key: "${{ item }}" } } },
          },
        ],
      });
    expect(countSubrequests([map([1, 2, 3])], catalog, false)[0]).toEqual({
      flowId: "m",
      count: 3,
      unbounded: false,
    });
    expect(countSubrequests([map("${{ range(60) }}")], catalog, false)[0]).toEqual({
      flowId: "m",
      count: 60,
      unbounded: false,
    });
    expect(countSubrequests([map("${{ trigger.body.items }}")], catalog, false)[0]).toEqual({
      flowId: "m",
      count: 1,
      unbounded: true,
    });
    expect(staticLength("${{ range( 7 ) }}")).toBe(7);
    expect(staticLength("${{ range(n) }}")).toBeUndefined();
  });

  it("counts a subflow as the called flow's run, and a cycle as unbounded", () => {
    const call = (id: string, target: string) =>
      flow({ id, nodes: [kvGet, { id: "call", kind: "subflow", config: { flow: target } }] });
    const docs = [call("a", "b"), flow({ id: "b", nodes: [kvGet, { ...kvGet, id: "get2" }] })];
    expect(countSubrequests(docs, catalog, false).map((s) => s.count)).toEqual([3, 2]);
    const cycle = countSubrequests([call("x", "y"), call("y", "x")], catalog, false);
    expect(cycle.every((s) => s.unbounded)).toBe(true);
  });
});

describe("packageWorkers: failures", () => {
  const write = (name: string, text: string): string => {
    const dir = join(temp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "flow.yaml"), text);
    return dir;
  };

  it("writes nothing for an invalid flow and returns its diagnostics", async () => {
    const dir = write(
      "bad",
      "flows: 1\nid: bad\nversion: 1.0.0\ntriggers: []\nnodes:\n  - id: a\n    kind: nope\n",
    );
    const out = join(temp, "bad-out");
    const result = await packageWorkers([dir], { out });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.validation.diagnostics.map((d) => d.code)).toContain("FLOW_UNKNOWN_KIND");
    expect(existsSync(out)).toBe(false);
  });

  it("fails with PACKAGE_SUBREQUESTS_EXCEEDED on the free plan and passes on the paid one", async () => {
    const dir = write(
      "many",
      [
        "flows: 1",
        "id: many",
        "version: 1.0.0",
        "bindings: { KV: { type: kv } }",
        "triggers: [{ type: http, method: POST, path: /many }]",
        "nodes:",
        "  - id: each",
        "    kind: map",
        "    inputs: { items: '${{ range(51) }}' }",
        "    config: { node: { kind: kv.get, inputs: { key: '${{ string(item) }}' } } }",
      ].join("\n"),
    );
    const error = await packageWorkers([dir], { out: join(temp, "many-out") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackageError);
    expect((error as PackageError).code).toBe("PACKAGE_SUBREQUESTS_EXCEEDED");
    // 51 reads, and the 3 calls that record the run in the run store.
    expect((error as PackageError).message).toContain("`many` 54");
    const paid = await packageWorkers([dir], { out: join(temp, "many-out"), plan: "paid" });
    expect(paid.ok).toBe(true);
  });

  it("fails with PACKAGE_BUDGET_EXCEEDED when the gzipped bundle is over the budget", async () => {
    const error = await packageWorkers(["examples/s3_workers_echo"], {
      out: join(temp, "budget"),
      budget: parseSize("10kb") as number,
    }).catch((e: unknown) => e);
    expect((error as PackageError).code).toBe("PACKAGE_BUDGET_EXCEEDED");
    expect((error as PackageError).details.budget).toBe(10 * 1024);
  });

  it("fails with PACKAGE_OUT_DIR when the output directory cannot be written", async () => {
    const file = join(temp, "a-file");
    writeFileSync(file, "not a directory");
    const error = await packageWorkers(["examples/s3_workers_echo"], { out: join(file, "out") }).catch(
      (e: unknown) => e,
    );
    expect((error as PackageError).code).toBe("PACKAGE_OUT_DIR");
    expect((error as PackageError).exitCode).toBe(3);
  });
});

describe("helpers", () => {
  it("parses sizes (binary units) and derives Worker names from paths", () => {
    expect(parseSize("150kb")).toBe(150 * 1024);
    expect(parseSize("3MB")).toBe(3 * 1024 * 1024);
    expect(parseSize("2048")).toBe(2048);
    expect(parseSize("lots")).toBeUndefined();
    expect(workerName("examples/s3_workers_echo")).toBe("s3-workers-echo");
    expect(workerName("flows/My Flow.yaml")).toBe("my-flow");
  });

  it("names the Worker after the user's project (its package.json), not after the flows folder", () => {
    const project = join(temp, "named-project");
    mkdirSync(join(project, "flows"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "@acme/shop_app" }));
    expect(workerName(join(project, "flows"))).toBe("shop-app");
    expect(workerName(join(project, "flows", "cart.yaml"))).toBe("shop-app");
    writeFileSync(join(project, "package.json"), JSON.stringify({ private: true }));
    expect(workerName(join(project, "flows"))).toBe("flows");
  });

  it("documents every packaging code in impl-docs/errors.md with its exit code, and no other", () => {
    const doc = readFileSync(new URL("../../impl-docs/errors.md", import.meta.url), "utf8");
    const start = doc.indexOf("## CLI codes");
    expect(start).toBeGreaterThan(-1);
    const next = doc.indexOf("\n## ", start + 1);
    const section = doc.slice(start, next === -1 ? undefined : next);
    const rows = Object.fromEntries(
      [...section.matchAll(/^\| `(PACKAGE_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(rows).toEqual({ ...PACKAGE_CODES });
  });
});
