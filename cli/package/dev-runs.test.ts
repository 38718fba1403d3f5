import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../run/testing.ts";
import { type DevServer, startDev } from "./dev-server.ts";

// Run history under `flows dev`: the run store is a local Durable Object whose storage lives in the project's
// state folder (`.wrangler/state` by default), so the runs recorded before a restart are there after it.

const temp = mkdtempSync(join(tmpdir(), "flows-dev-runs-"));
let server: DevServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

const FAILING = `flows: 1
id: refuse
version: 1.0.0
triggers:
  - { type: http, method: POST, path: /refuse }
nodes:
  - { id: check, kind: transform, inputs: { n: "\${{ trigger.body.n }}" } }
  - id: no
    kind: fail
    after: [check]
    config: { code: REFUSED, status: 422 }
    inputs: { message: "refused" }
`;

const CONTINUING = `flows: 1
id: report
version: 1.0.0
triggers:
  - { type: http, method: GET, path: /report, response: sse, onDisconnect: continue }
nodes:
  - { id: wait, kind: delay, config: { duration: 50ms }, inputs: { value: 1 } }
  - { id: done, kind: transform, inputs: { n: "\${{ nodes.wait.out }}" } }
output: done
`;

/** The \`id:\` lines of SSE text. */
const idsOf = (text: string): string[] => [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]!);

const tokenOf = (dev: DevServer): string => decodeURIComponent(dev.viewerUrl.split("#token=")[1] ?? "");

async function waitForRecord(dev: DevServer, runId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${dev.url}/_flows/runs/${runId}`, {
      headers: { authorization: `Bearer ${tokenOf(dev)}` },
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 200) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} was not recorded`);
}

describe("flows dev: the run store", () => {
  it("keeps recorded runs across a restart, in the project's state folder", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(flows, "refuse.yaml"), FAILING);
    writeFileSync(join(flows, "report.yaml"), CONTINUING);
    const options = { out: join(temp, "out"), persistTo: join(temp, "state"), log: () => {} };

    server = await startDev([flows], { ...options, port: await freePort() });
    const failed = await fetch(`${server.url}/refuse`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"n":1}',
    });
    expect(failed.status).toBe(422);
    const runId = failed.headers.get("x-flow-run-id")!;
    const before = await waitForRecord(server, runId);
    expect(before).toMatchObject({ runId, flowId: "refuse", status: "failed", error: { code: "REFUSED" } });
    // A continuing run (onDisconnect: continue), read to its end: its event log is in the same store.
    const streamed = await fetch(`${server.url}/report`);
    const reportId = streamed.headers.get("x-flow-run-id")!;
    const ids = idsOf(await streamed.text());
    expect(ids.at(-1)).toBe(`${reportId}:${ids.length}`);
    await waitForRecord(server, reportId);
    await server.stop();
    server = undefined;

    // A new session (another port, another generated token), the same state folder.
    server = await startDev([flows], { ...options, port: await freePort() });
    const after = await waitForRecord(server, runId);
    expect(after).toEqual(before);
    // The continuing run's log survived: a reconnect to its route after id 2 gets the rest, as it was sent.
    const resumed = await fetch(`${server.url}/report`, { headers: { "last-event-id": `${reportId}:2` } });
    expect(resumed.headers.get("x-flow-run-id")).toBe(reportId);
    expect(idsOf(await resumed.text())).toEqual(ids.slice(2));
    const list = await fetch(`${server.url}/_flows/runs?flow=refuse`, {
      headers: { authorization: `Bearer ${tokenOf(server)}` },
    });
    expect(((await list.json()) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toEqual([runId]);
    // The viewer's history is the store's, so it survived too.
    const viewer = await fetch(`${server.url}/_flows/api/runs?flow=refuse`, {
      headers: { authorization: `Bearer ${tokenOf(server)}` },
    });
    expect(((await viewer.json()) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toEqual([
      runId,
    ]);
  }, 120_000);
});
