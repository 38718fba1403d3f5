import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../run/testing.ts";
import { type DevServer, startDev } from "./dev-server.ts";

// A durable flow under `flows dev`: the approval example on Miniflare's Workflows, driven over HTTP as a user would
// (start, status waiting, the decision event, status complete), through the real dev server.

const temp = mkdtempSync(join(tmpdir(), "flows-dev-durable-"));
let server: DevServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

const tokenOf = (dev: DevServer): string => decodeURIComponent(dev.viewerUrl.split("#token=")[1] ?? "");

describe("flows dev: a durable flow", () => {
  it("serves the approval example end to end: 202, waiting for `decision`, the event, then complete", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/approval", flows, { recursive: true });
    server = await startDev([flows], {
      out: join(temp, "out"),
      persistTo: join(temp, "state"),
      port: await freePort(),
      log: () => {},
    });
    const dev = server;
    const auth = { authorization: `Bearer ${tokenOf(dev)}` };
    const started = await fetch(`${dev.url}/approvals`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"change":"deploy 11"}',
    });
    expect(started.status).toBe(202);
    const { runId, statusUrl } = (await started.json()) as { runId: string; statusUrl: string };
    const status = async () =>
      (await (await fetch(`${dev.url}${statusUrl}`, { headers: auth })).json()) as Record<string, unknown>;
    await vi.waitFor(
      async () =>
        expect(await status()).toMatchObject({
          runId,
          status: "waiting",
          waitingFor: [{ step: "decision#1", kind: "event", event: "decision" }],
        }),
      { timeout: 20_000, interval: 200 },
    );
    const sent = await fetch(`${dev.url}/_flows/runs/${runId}/events/decision`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: '{"approved":false,"by":"grace"}',
    });
    expect(sent.status).toBe(202);
    await vi.waitFor(
      async () =>
        expect(await status()).toMatchObject({
          status: "ok",
          instanceStatus: "complete",
          output: { body: { status: "rejected", by: "grace", change: "deploy 11" } },
        }),
      { timeout: 20_000, interval: 200 },
    );
  }, 90_000);
});
