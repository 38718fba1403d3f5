import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, type WorkerdServer } from "../../bench/workerd.ts";
import { serveContinuingFixture } from "../../test/continuing-fixture.ts";
import { parseSse, type TailFrame, tailRun } from "./tail.ts";

// `flows runs tail` against a continuing run on workerd (the fixture of hosts/workers/fixtures/continuing): its
// connection is cut mid-run by the Worker, it resumes by itself with Last-Event-ID, and prints every id once.

const TOKEN = "tail-test-admin-token-0123456789";
let server: WorkerdServer;
let dir: string;

beforeAll(async () => {
  dir = join(ROOT, ".tmp", `tail-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  server = await serveContinuingFixture(dir, TOKEN);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("parseSse", () => {
  it("reads frames, keeps the incomplete tail, skips comments, takes retry", () => {
    const parsed = parseSse(": hi\nretry: 500\n\nevent: a\nid: r:1\ndata: {}\n\nevent: b\nid: r:2\nda");
    expect(parsed.frames).toEqual([{ id: "r:1", event: "a", data: "{}" }]);
    expect(parsed.rest).toBe("event: b\nid: r:2\nda");
    expect(parsed.retry).toBe(500);
  });
});

describe("tailRun", () => {
  it("resumes by itself when its connection is cut mid-run: no id lost, none twice, ends with the final frame", async () => {
    // A run of 25 chunks, 100 ms apart; its first client leaves at once (the run goes on).
    const started = await fetch(`${server.url}report?steps=25&ms=100`);
    const runId = started.headers.get("x-flow-run-id")!;
    await started.body?.cancel();
    const frames: TailFrame[] = [];
    let cut = false;
    const result = await tailRun(
      { url: server.url.replace(/\/$/, ""), token: TOKEN },
      runId,
      (frame) => {
        frames.push(frame);
        if (!cut && frames.length === 10) {
          cut = true;
          void fetch(`${server.url}_test/cut`, { method: "POST" });
        }
      },
      { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) },
    );
    expect(result.reconnects).toBeGreaterThanOrEqual(1);
    expect(result.final?.event).toBe("end");
    const seqs = frames.map((f) => Number(f.id.split(":")[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(new Set(frames.map((f) => f.id.split(":")[0]))).toEqual(new Set([runId]));
    expect(frames.filter((f) => f.event === "node.chunk")).toHaveLength(25);
    // Tailing again after the end: the whole log, then the same final frame; after the last id, nothing (204).
    const again: TailFrame[] = [];
    await tailRun({ url: server.url.replace(/\/$/, ""), token: TOKEN }, runId, (f) => again.push(f));
    expect(again.map((f) => f.id)).toEqual(frames.map((f) => f.id));
    const none = await tailRun({ url: server.url.replace(/\/$/, ""), token: TOKEN }, runId, () => {}, {
      after: frames.at(-1)!.id,
    });
    expect(none).toEqual({ reconnects: 0 });
  }, 60_000);

  it("a wrong token is the Worker's 403 as CLI_RUNS_REFUSED", async () => {
    await expect(
      tailRun({ url: server.url.replace(/\/$/, ""), token: "wrong-token-wrong-token" }, "x", () => {}),
    ).rejects.toMatchObject({ code: "CLI_RUNS_REFUSED" });
  });
});
