import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEdits, modify, parse } from "jsonc-parser";
import { afterAll, describe, expect, it } from "vitest";
import { PackageError } from "./errors.ts";
import { type PackageResult, packageWorkers } from "./index.ts";
import { mergeUserConfig } from "./user-config.ts";
import { runWrangler } from "./wrangler.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-user-config-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** What the flows need, as `wranglerConfig` gives it. */
const NEEDED = {
  name: "app",
  main: "worker.js",
  no_bundle: true,
  compatibility_date: "2026-11-01",
  compatibility_flags: ["enable_request_signal"],
  vars: { GREETING: "hi" },
  kv_namespaces: [{ binding: "CACHE" }, { binding: "SESSIONS" }],
  queues: { producers: [{ binding: "JOBS", queue: "jobs" }], consumers: [{ queue: "jobs", max_retries: 3 }] },
  durable_objects: { bindings: [{ name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["FlowsRuntime"] }],
  triggers: { crons: ["0 * * * *"] },
  secrets: { required: ["API_TOKEN"] },
};

describe("merging what the flows need into the user's wrangler config", () => {
  it("adds what is missing and keeps the user's values, unknown keys and comments byte for byte", () => {
    const user = `{
  // my worker
  "name": "my-app", // not the flows' name
  "compatibility_date": "2026-10-01",
  "compatibility_flags": ["nodejs_compat"],
  "routes": [{ "pattern": "api.example.com/*", "zone_name": "example.com" }],
  "observability": { "enabled": true },
  "kv_namespaces": [{ "binding": "CACHE", "id": "0f2ac74b498b48028cb68387c421e279" }],
  "vars": { "GREETING": "hello from me" },
  "x_unknown": [1, 2],
}
`;
    const merged = mergeUserConfig(user, NEEDED, "wrangler.jsonc");
    expect(merged.text.startsWith('{\n  // my worker\n  "name": "my-app", // not the flows\' name\n')).toBe(
      true,
    );
    expect(merged.text).toContain(
      '"routes": [{ "pattern": "api.example.com/*", "zone_name": "example.com" }],',
    );
    const value = parse(merged.text, [], { allowTrailingComma: true }) as Record<string, unknown>;
    expect(value).toEqual({
      name: "my-app",
      compatibility_date: "2026-10-01",
      compatibility_flags: ["nodejs_compat", "enable_request_signal"],
      routes: [{ pattern: "api.example.com/*", zone_name: "example.com" }],
      observability: { enabled: true },
      kv_namespaces: [{ binding: "CACHE", id: "0f2ac74b498b48028cb68387c421e279" }, { binding: "SESSIONS" }],
      vars: { GREETING: "hello from me" },
      x_unknown: [1, 2],
      main: "worker.js",
      no_bundle: true,
      queues: NEEDED.queues,
      durable_objects: NEEDED.durable_objects,
      migrations: NEEDED.migrations,
      triggers: NEEDED.triggers,
      secrets: NEEDED.secrets,
    });
    expect(merged.added).toEqual([
      "main",
      "no_bundle",
      "compatibility_flags: enable_request_signal",
      "kv_namespaces: SESSIONS",
      "queues",
      "durable_objects",
      "secrets",
      "migrations",
      "triggers",
    ]);
    // A second merge has nothing to add and changes nothing.
    expect(mergeUserConfig(merged.text, NEEDED, "wrangler.jsonc")).toEqual({
      text: merged.text,
      added: [],
      notes: [],
    });
  });

  it("keeps the user's observability settings, and adds the packager's to a config without any", () => {
    const observability = {
      enabled: true,
      head_sampling_rate: 1,
      logs: { enabled: true, invocation_logs: true },
    };
    const needed = { ...NEEDED, observability };
    const theirs = mergeUserConfig(
      '{ "name": "x", "observability": { "enabled": false } }',
      needed,
      "wrangler.json",
    );
    expect((parse(theirs.text) as Record<string, unknown>).observability).toEqual({ enabled: false });
    const none = mergeUserConfig('{ "name": "x" }', needed, "wrangler.json");
    expect((parse(none.text) as Record<string, unknown>).observability).toEqual(observability);
  });

  it("adds the missing bindings to every environment the user has, keeping theirs", () => {
    const user = JSON.stringify({
      ...NEEDED,
      env: {
        staging: {
          kv_namespaces: [{ binding: "CACHE", id: "staging-id" }],
          routes: ["staging.example.com/*"],
        },
        production: { vars: { GREETING: "prod" } },
      },
    });
    const merged = mergeUserConfig(user, NEEDED, "wrangler.json");
    const env = (parse(merged.text) as { env: Record<string, Record<string, unknown>> }).env;
    expect(env.staging).toEqual({
      kv_namespaces: [{ binding: "CACHE", id: "staging-id" }, { binding: "SESSIONS" }],
      routes: ["staging.example.com/*"],
      vars: { GREETING: "hi" },
      queues: NEEDED.queues,
      durable_objects: NEEDED.durable_objects,
      secrets: NEEDED.secrets,
    });
    expect(env.production?.vars).toEqual({ GREETING: "prod" });
    expect(merged.added).toContain("env.staging.kv_namespaces: SESSIONS");
  });

  it("adds a consumer, a producer, a Durable Object binding, a cron and a secret by name, and a new migration for a class no migration creates", () => {
    const user = JSON.stringify({
      main: "src/index.js",
      queues: { producers: [{ binding: "OTHER", queue: "other" }] },
      durable_objects: { bindings: [{ name: "ROOMS", class_name: "Room" }] },
      migrations: [{ tag: "v1", new_classes: ["Room"] }],
      triggers: { crons: ["*/5 * * * *"] },
      secrets: { required: ["MINE"] },
    });
    const merged = mergeUserConfig(user, NEEDED, "wrangler.json");
    const value = parse(merged.text) as Record<string, unknown>;
    expect(value.queues).toEqual({
      producers: [{ binding: "OTHER", queue: "other" }, ...NEEDED.queues.producers],
      consumers: NEEDED.queues.consumers,
    });
    expect(value.durable_objects).toEqual({
      bindings: [{ name: "ROOMS", class_name: "Room" }, ...NEEDED.durable_objects.bindings],
    });
    expect(value.migrations).toEqual([
      { tag: "v1", new_classes: ["Room"] },
      { tag: "v2", new_sqlite_classes: ["FlowsRuntime"] },
    ]);
    expect(value.triggers).toEqual({ crons: ["*/5 * * * *", "0 * * * *"] });
    expect(value.secrets).toEqual({ required: ["MINE", "API_TOKEN"] });
    expect(value.main).toBe("src/index.js");
    expect(merged.notes).toEqual([
      'main is "src/index.js", not the packaged bundle "worker.js": wrangler deploys the user\'s main',
    ]);
  });

  it("refuses a config that is not valid JSONC with PACKAGE_CONFIG_INVALID and the line", () => {
    const error = (() => {
      try {
        mergeUserConfig('{\n  "name": "x",\n  "main" "worker.js"\n}', NEEDED, "wrangler.jsonc");
      } catch (e) {
        return e;
      }
    })() as PackageError;
    expect(error).toBeInstanceOf(PackageError);
    expect(error.code).toBe("PACKAGE_CONFIG_INVALID");
    expect(error.message).toBe(
      "wrangler.jsonc:3: the wrangler config is not valid JSONC (ColonExpected): fix it, or move it away to have a new one written",
    );
  });
});

describe("flows package workers with a config the user owns", () => {
  const flows = "examples/capabilities";

  it("keeps a KV namespace id, a custom route and other user edits across two packagings, and wrangler deploy --dry-run accepts the result", async () => {
    const project = join(temp, "project");
    const out = join(project, "dist");
    const config = join(project, "wrangler.jsonc");
    const first = (await packageWorkers([flows], { out, config })) as PackageResult;
    expect(first.config).toMatchObject({ path: config, created: true, added: [] });
    const written = readFileSync(config, "utf8");
    expect(written).toContain('"main": "dist/worker.js"');
    // New KV namespaces have no id: `wrangler deploy` provisions them.
    expect(parse(written).kv_namespaces).toEqual([{ binding: "FLOW_KV" }]);

    // The user adds the id of their namespace, a route, an environment, observability and a comment.
    const edited = written
      .replace(
        '"binding": "FLOW_KV"',
        '"binding": "FLOW_KV",\n      "id": "0f2ac74b498b48028cb68387c421e279"',
      )
      .replace(
        '"no_bundle": true,',
        '"no_bundle": true,\n  // my route\n  "routes": [{ "pattern": "flows.example.com/*", "zone_name": "example.com" }],\n  "env": { "staging": { "kv_namespaces": [{ "binding": "FLOW_KV", "id": "staging-kv-id" }] } },',
      )
      .replace('"head_sampling_rate": 1', '"head_sampling_rate": 0.05');
    writeFileSync(config, edited);

    const second = (await packageWorkers([flows], { out, config })) as PackageResult;
    expect(second.config.created).toBe(false);
    const again = readFileSync(config, "utf8");
    expect(again).toContain("// my route");
    const value = parse(again) as Record<string, unknown>;
    expect(value.kv_namespaces).toEqual([{ binding: "FLOW_KV", id: "0f2ac74b498b48028cb68387c421e279" }]);
    expect(value.routes).toEqual([{ pattern: "flows.example.com/*", zone_name: "example.com" }]);
    expect(value.observability).toMatchObject({ enabled: true, head_sampling_rate: 0.05 });
    // The environment keeps its namespace and gets the bindings it lacked.
    const staging = (value.env as Record<string, Record<string, unknown>>).staging;
    expect(staging?.kv_namespaces).toEqual([{ binding: "FLOW_KV", id: "staging-kv-id" }]);
    expect(staging?.r2_buckets).toEqual((value as { r2_buckets: unknown }).r2_buckets);
    // A third packaging finds everything there: the file is not touched.
    const third = (await packageWorkers([flows], { out, config })) as PackageResult;
    expect(third.config.added).toEqual([]);
    expect(readFileSync(config, "utf8")).toBe(again);
    expect(third.files).toEqual(["entry.js", "flows.json", "worker.js"]);

    const dry = await runWrangler(["deploy", "--config", config, "--dry-run"], {
      cwd: project,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(dry.output).toContain("--dry-run: exiting now.");
    expect(dry.code).toBe(0);
    expect(dry.output).toMatch(/env\.FLOW_KV \(0f2ac74b498b48028cb68387c421e279\)\s+KV Namespace/);
  }, 60_000);

  it("gives a Worker packaged before the run store its binding, its class and a migration of its own", async () => {
    const project = join(temp, "before-runs");
    const out = join(project, "dist");
    const config = join(project, "wrangler.jsonc");
    await packageWorkers([flows], { out, config });
    // The config as the packager wrote it before the run store (deployed: its v1 migration is applied).
    const text = readFileSync(config, "utf8");
    const edit = (t: string, path: string[], value: unknown): string =>
      applyEdits(t, modify(t, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
    const runtime = [{ name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" }];
    const before = edit(
      edit(text, ["durable_objects"], { bindings: runtime }),
      ["migrations"],
      [{ tag: "v1", new_sqlite_classes: ["FlowsRuntime"] }],
    );
    writeFileSync(config, before);
    expect(parse(before).migrations).toEqual([{ tag: "v1", new_sqlite_classes: ["FlowsRuntime"] }]);
    const result = (await packageWorkers([flows], { out, config })) as PackageResult;
    expect(result.config.added).toEqual([
      "durable_objects.bindings: FLOWS_RUNS",
      "migrations: v2 (FlowsRuns)",
    ]);
    const after = parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    expect(after.durable_objects).toEqual({
      bindings: [
        { name: "FLOWS_RUNTIME", class_name: "FlowsRuntime" },
        { name: "FLOWS_RUNS", class_name: "FlowsRuns" },
      ],
    });
    expect(after.migrations).toEqual([
      { tag: "v1", new_sqlite_classes: ["FlowsRuntime"] },
      { tag: "v2", new_sqlite_classes: ["FlowsRuns"] },
    ]);
    expect(readFileSync(join(out, "entry.js"), "utf8")).toContain(
      'export { FlowsRuns, FlowsRuntime } from "flows-runtime/hosts/workers/objects";',
    );
    const dry = await runWrangler(["deploy", "--config", config, "--dry-run"], {
      cwd: project,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(dry.code).toBe(0);
    expect(dry.output).toMatch(/env\.FLOWS_RUNS \(FlowsRuns\)\s+Durable Object/);
  }, 60_000);

  it("adds a binding a flow gained to the user's config, leaving the rest", async () => {
    const out = join(temp, "grow");
    const config = join(out, "wrangler.jsonc");
    await packageWorkers(["examples/s3_workers_echo"], { out });
    const before = parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    expect(before.kv_namespaces).toBeUndefined();
    writeFileSync(
      config,
      readFileSync(config, "utf8")
        .replace('"no_bundle": true,', '"no_bundle": true,\n  "logpush": true,')
        .replace("comments below are yours.)\n{", "comments below are yours.)\n// my note on this Worker\n{"),
    );
    const result = (await packageWorkers([flows], { out, name: "grow" })) as PackageResult;
    expect(result.config.added).toEqual([
      "kv_namespaces: FLOW_KV",
      "r2_buckets: FLOW_BUCKET",
      "queues",
      // The echo Worker had the run store (v1); the capabilities need FlowsRuntime too: a migration of its own.
      "durable_objects.bindings: FLOWS_RUNTIME",
      "migrations: v2 (FlowsRuntime)",
    ]);
    const after = parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    expect(after.migrations).toEqual([
      { tag: "v1", new_sqlite_classes: ["FlowsRuns"] },
      { tag: "v2", new_sqlite_classes: ["FlowsRuntime"] },
    ]);
    expect(after.logpush).toBe(true);
    expect(after.name).toBe("s3-workers-echo");
    // The packager's header is rewritten for the flows now packaged.
    expect(readFileSync(config, "utf8")).toMatch(/^\/\/ Written by `flows package workers`, then yours:/);
    expect(readFileSync(config, "utf8")).toContain("// Flows: examples/capabilities/");
    expect(readFileSync(config, "utf8")).not.toContain("// Flows: examples/s3_workers_echo/");
    expect(readFileSync(config, "utf8")).toContain(
      "comments below are yours.)\n// my note on this Worker\n{",
    );
  });

  it("refuses a wrangler.toml with PACKAGE_CONFIG_TOML, writing nothing", async () => {
    const out = join(temp, "toml-out");
    const error = await packageWorkers([flows], { out, config: join(temp, "wrangler.toml") }).catch(
      (e: unknown) => e,
    );
    expect((error as PackageError).code).toBe("PACKAGE_CONFIG_TOML");
    expect((error as PackageError).message).toMatch(/convert it to wrangler\.jsonc/);
  });
});
