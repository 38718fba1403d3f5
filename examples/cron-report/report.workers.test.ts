import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../worker.ts";

// The cron-report example through the example worker, with the real local KV namespace and R2 bucket: the
// scheduled handler runs it on its cron, POST /reports on demand.

describe("examples/cron-report", () => {
  it("on its cron, writes a report of the recorded uploads to R2", async () => {
    const name = `${crypto.randomUUID()}.txt`;
    await env.FLOW_KV.put(`uploads/${name}`, JSON.stringify({ name }), { metadata: { size: 123 } });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const report = (await (await env.FLOW_BUCKET.get("reports/latest.json"))!.json()) as {
      trigger: string;
      uploads: number;
      items: { name: string; size: number }[];
      complete: boolean;
    };
    expect(report.trigger).toBe("cron");
    expect(report.complete).toBe(true);
    expect(report.items).toContainEqual({ name, size: 123 });
    expect(report.uploads).toBe(report.items.length);
  });

  it("runs on demand with POST /reports", async () => {
    const response = await exports.default.fetch("http://example.test/reports", { method: "POST" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { report: string; uploads: number };
    expect(body.report).toBe("reports/latest.json");
    const report = (await (await env.FLOW_BUCKET.get("reports/latest.json"))!.json()) as { trigger: string };
    expect(report.trigger).toBe("http");
  });
});
