import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/count-reporter.ts"],
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: { name: "workers", include: ["**/*.workers.test.ts"], exclude: ["**/node_modules/**"] },
      },
      {
        test: {
          name: "node",
          include: ["**/*.test.ts"],
          exclude: ["**/*.workers.test.ts", "**/node_modules/**", ".tmp/**"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
