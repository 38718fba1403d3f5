import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../run/testing.ts";
import { type DevServer, startDev } from "./dev-server.ts";

// A durable flow under `flows dev`: the approval example on Miniflare's Workflows, driven over HTTP as a user would
// (start, status waiting, the decision event, status complete), through the real dev server.

const temp = mkdtempSync(join(tmpdir(), "flows-dev-durable-"));
// Every dev server a test starts, stopped after the file (stopping twice is a no-op): a server left running leaves
// its workerd behind when the test process ends.
const servers: DevServer[] = [];
afterAll(async () => {
  for (const dev of servers) await dev.stop();
  rmSync(temp, { recursive: true, force: true });
});
const serveDev = async (...args: Parameters<typeof startDev>): Promise<DevServer> => {
  const dev = await startDev(...args);
  servers.push(dev);
  return dev;
};

// Two effects on either side of a wait, each a KV counter read then written (a read step, then a write step):
// the run's output reads both counters back after the last write.
const TALLY = `flows: 1
id: tally
version: 1.0.0
durable: true
bindings:
  FLOW_KV: { type: kv }
triggers:
  - { type: http, method: POST, path: /tally }
nodes:
  - { id: firstSeen, kind: kv.get, config: { type: json }, inputs: { key: "\${{ 'first/' + run.id }}" } }
  - id: first
    kind: kv.put
    inputs:
      key: \${{ 'first/' + run.id }}
      value: "\${{ (nodes.firstSeen.out == null ? 0 : nodes.firstSeen.out) + 1 }}"
  - { id: go, kind: wait, after: [first], config: { event: go } }
  - { id: secondSeen, kind: kv.get, after: [go], config: { type: json }, inputs: { key: "\${{ 'second/' + run.id }}" } }
  - id: second
    kind: kv.put
    inputs:
      key: \${{ 'second/' + run.id }}
      value: "\${{ (nodes.secondSeen.out == null ? 0 : nodes.secondSeen.out) + 1 }}"
  - { id: firstNow, kind: kv.get, after: [second], config: { type: json }, inputs: { key: "\${{ 'first/' + run.id }}" } }
  - { id: secondNow, kind: kv.get, after: [second], config: { type: json }, inputs: { key: "\${{ 'second/' + run.id }}" } }
  - id: answer
    kind: respond
    inputs:
      body: "\${{ { 'first': nodes.firstNow.out, 'second': nodes.secondNow.out } }}"
`;

const tokenOf = (dev: DevServer): string => decodeURIComponent(dev.viewerUrl.split("#token=")[1] ?? "");

describe("flows dev: a durable flow", () => {
  it("serves the approval example end to end: 202, waiting for `decision`, the event, then complete", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/approval", flows, { recursive: true });
    const dev = await serveDev([flows], {
      out: join(temp, "out"),
      persistTo: join(temp, "state"),
      port: await freePort(),
      log: () => {},
    });
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

  it("resumes a run whose workerd was killed between two steps without repeating the finished one", async () => {
    const flows = join(temp, "tally");
    mkdirSync(flows, { recursive: true });
    writeFileSync(join(flows, "tally.yaml"), TALLY);
    const serve = async () =>
      serveDev([flows], {
        out: join(temp, "tally-out"),
        persistTo: join(temp, "tally-state"),
        port: await freePort(),
        log: () => {},
      });
    const status = async (dev: DevServer, runId: string) =>
      (await (
        await fetch(`${dev.url}/_flows/runs/${runId}`, {
          headers: { authorization: `Bearer ${tokenOf(dev)}` },
        })
      ).json()) as Record<string, unknown>;

    const first = await serve();
    const accepted = await fetch(`${first.url}/tally`, { method: "POST" });
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };
    await vi.waitFor(async () => expect(await status(first, runId)).toMatchObject({ status: "waiting" }), {
      timeout: 20_000,
      interval: 200,
    });
    // The first step's effect is done and the run waits for `go`: end workerd there, and serve the same local
    // state from a new one.
    await first.stop();
    const second = await serve();
    const sent = await fetch(`${second.url}/_flows/runs/${runId}/events/go`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokenOf(second)}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(sent.status).toBe(202);
    await vi.waitFor(
      async () =>
        expect(await status(second, runId)).toMatchObject({
          status: "ok",
          output: { body: { first: 1, second: 1 } },
        }),
      { timeout: 20_000, interval: 200 },
    );
  }, 120_000);
});
