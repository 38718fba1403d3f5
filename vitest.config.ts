import { randomUUID } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// One id per `vitest run`, inherited by every test worker: the installed-package tests share one `npm pack` by it.
process.env.FLOWS_TEST_RUN_ID ??= randomUUID();

export default defineConfig({
  test: {
    reporters: ["default", "./test/count-reporter.ts"],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // The webhook secret of the served GitHub example (a Worker secret when deployed, .dev.vars locally).
              bindings: { GITHUB_WEBHOOK_SECRET: "flows-test-webhook-secret" },
              // A local Analytics Engine dataset for the run metrics tests (hosts/workers/metrics).
              analyticsEngineDatasets: { FLOWS_METRICS: { dataset: "flows_test_runs" } },
            },
          }),
        ],
        test: {
          name: "workers",
          setupFiles: ["./test/cel-setup.ts"],
          // A hang guard, not a time limit: a file's first request loads and compiles on demand (CEL, the flow's
          // plans), which on 2 busy cores has taken over the default 5 s.
          testTimeout: 30_000,
          include: ["**/*.workers.test.ts"],
          exclude: ["**/node_modules/**", "hosts/workers/fixtures/github-queue/**"],
        },
      },
      {
        // A worker of its own (its wrangler config is the consumer of its queue): GitHub `ack: queue` end to end.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./hosts/workers/fixtures/github-queue/wrangler.jsonc" },
            miniflare: { bindings: { GITHUB_WEBHOOK_SECRET: "flows-test-webhook-secret" } },
          }),
        ],
        test: {
          name: "workers-github-queue",
          setupFiles: ["./test/cel-setup.ts"],
          testTimeout: 30_000,
          include: ["hosts/workers/fixtures/github-queue/*.workers.test.ts"],
        },
      },
      {
        test: {
          name: "node",
          setupFiles: ["./test/cel-setup.ts"],
          include: ["**/*.test.ts"],
          exclude: ["**/*.workers.test.ts", "**/node_modules/**", ".tmp/**"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
