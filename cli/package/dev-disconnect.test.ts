import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../run/testing.ts";
import { type DevServer, startDev } from "./dev-server.ts";

/**
 * Issue 14, item 3, against `flows dev` itself: a client that goes away (its connection closed with a FIN, as
 * `curl -m 1` does) cancels the run on every response mode, while no byte is being written to it.
 */
const temp = mkdtempSync(join(tmpdir(), "flows-dev-disconnect-"));
let server: DevServer;
/** The viewer's API needs the session's token (in the fragment of the printed viewer URL). */
const viewer = (): RequestInit => ({
  headers: { authorization: `Bearer ${decodeURIComponent(server.viewerUrl.split("#token=")[1] ?? "")}` },
});

const MODES = ["json", "stream", "sse"] as const;
const waitingFlow = (mode: (typeof MODES)[number]): string => `flows: 1
id: wait-${mode}
version: 1.0.0
description: Waits 20 s without writing anything, then answers.
triggers:
  - type: http
    method: POST
    path: /wait/${mode}
    response: ${mode}
nodes:
  - id: nap
    kind: delay
    config: { duration: 20s }
  - id: reply
    kind: respond
    inputs:
      body: \${{ nodes.nap.out }}
`;

beforeAll(async () => {
  const dir = join(temp, "flows");
  mkdirSync(dir, { recursive: true });
  for (const mode of MODES) writeFileSync(join(dir, `wait-${mode}.yaml`), waitingFlow(mode));
  server = await startDev([dir], {
    port: await freePort(),
    out: join(temp, "out"),
    persistTo: join(temp, "state"),
    log: () => {},
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

interface RunEnd {
  status: string;
  error?: { code: string };
}

/** The id of the one running run of `flowId` (the viewer records every run under `flows dev`). */
async function runningRun(flowId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { runs } = (await fetch(`${server.url}/_flows/api/runs`, viewer()).then((r) => r.json())) as {
      runs: { runId: string; flowId: string; ended: boolean }[];
    };
    const run = runs.find((r) => r.flowId === flowId && !r.ended);
    if (run) return run.runId;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no running run of ${flowId}`);
}

/** Polls the viewer's run list until the run has ended; resolves with the moment it was seen ended. */
async function endedAt(runId: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { runs } = (await fetch(`${server.url}/_flows/api/runs`, viewer()).then((r) => r.json())) as {
      runs: { runId: string; ended: boolean }[];
    };
    if (runs.find((r) => r.runId === runId)?.ended) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`run ${runId} did not end within ${timeoutMs} ms`);
}

/** A run's `run.end` event, from the recorded events the viewer replays. */
async function runEnd(runId: string): Promise<RunEnd> {
  const text = await fetch(`${server.url}/_flows/api/runs/${runId}/events`, viewer()).then((r) => r.text());
  const match = /event: run\.end\nid: \d+\ndata: (.*)\n/.exec(text);
  if (!match) throw new Error(`no run.end in ${text}`);
  return JSON.parse(match[1]!) as RunEnd;
}

const openRequest = (mode: string): Promise<{ socket: Socket; received: () => string }> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    let received = "";
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        `POST /wait/${mode} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
      );
      resolve({ socket, received: () => received });
    });
    socket.on("data", (d: Buffer) => {
      received += d.toString("utf8");
    });
    socket.on("error", reject);
  });

describe("flows dev cancels a run when its client disconnects", () => {
  for (const mode of MODES) {
    it(`cancels a ${mode} route's run, waiting without writing, when the client closes its connection`, async () => {
      const { socket, received } = await openRequest(mode);
      const runId = await runningRun(`wait-${mode}`);
      if (mode === "sse") {
        // The SSE answer has started (headers and the opening comment), then nothing is written for 20 s.
        for (let i = 0; i < 100 && !received().includes("event: node.start"); i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(received()).toMatch(/^HTTP\/1\.1 200 /);
      } else expect(received()).toBe("");
      const closedAt = performance.now();
      socket.end(); // a FIN, as curl -m 1 sends when its time is up
      // The run would end by itself after 20 s: ended within 10 s, it was cancelled.
      const at = await endedAt(runId, 10_000);
      const end = await runEnd(runId);
      expect(end.status).toBe("cancelled");
      expect(end.error?.code).toBe("RUN_CANCELLED");
      console.log(
        `flows dev, ${mode} route: run cancelled, seen ended ${(at - closedAt).toFixed(1)} ms after the client closed (polled every 5 ms)`,
      );
      socket.destroy();
    }, 60_000);
  }
});
