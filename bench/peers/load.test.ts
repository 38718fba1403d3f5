import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../workerd.ts";
import { load, startNodeServer } from "./load.ts";

// The peer benchmarks' plumbing and servers; their timings are printed by `npm run bench`, never asserted.

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/` };
}

describe("load", () => {
  it("sends exactly the requested count, concurrently, and returns figures", async () => {
    let received = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const { server, url } = await listen((_req, res) => {
      received++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end("ok");
      }, 20);
    });
    try {
      const figures = await load({
        requests: 50,
        concurrency: 4,
        boundMs: 20_000,
        pid: process.pid,
        send: () => fetch(url),
        check: (r, text) => (r.status === 200 && text === "ok" ? undefined : text),
      });
      expect(received).toBe(50);
      // Never more than `concurrency` at once, and really concurrent.
      expect(maxInFlight).toBeLessThanOrEqual(4);
      expect(maxInFlight).toBeGreaterThan(1);
      expect(figures.perSecond).toBeGreaterThan(0);
      expect(figures.latencyMs).toBeGreaterThan(0);
      expect(Number.isFinite(figures.cpuMsPerRequest)).toBe(true);
    } finally {
      server.close();
    }
  });

  it("fails on a wrong answer instead of counting it", async () => {
    let received = 0;
    const { server, url } = await listen((_req, res) => {
      received++;
      res.end(received === 7 ? "wrong" : "ok");
    });
    try {
      await expect(
        load({
          requests: 20,
          concurrency: 2,
          boundMs: 20_000,
          pid: process.pid,
          send: () => fetch(url),
          check: (_r, text) => (text === "ok" ? undefined : `got ${text}`),
        }),
      ).rejects.toThrow("wrong answer: got wrong");
    } finally {
      server.close();
    }
  });
});

describe("peer servers", () => {
  // `.tmp/` is gitignored: a fresh clone does not have it.
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const tmp = mkdtempSync(join(ROOT, ".tmp", "peers-test-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("Probot verifies the signature, runs the app's handler and stops when killed", async () => {
    const secret = "peers-test-secret";
    const probot = await startNodeServer(join(import.meta.dirname, "probot-server.ts"), {
      BENCH_WEBHOOK_SECRET: secret,
    });
    try {
      const body = JSON.stringify({
        action: "opened",
        issue: { number: 1, title: "Found a bug", user: { login: "o" }, body: "" },
        repository: { id: 1, full_name: "o/r" },
        sender: { login: "o" },
        installation: { id: 1 },
      });
      const deliver = (signature: string) =>
        fetch(`${probot.url}api/github/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": crypto.randomUUID(),
            "x-hub-signature-256": signature,
          },
          body,
        });
      const ok = await deliver(await sign(secret, body));
      expect([ok.status, await ok.text()]).toEqual([200, "ok\n"]);
      const bad = await deliver(await sign("another-secret", body));
      await bad.arrayBuffer();
      expect(bad.status).toBe(400);
      const handled = await (await fetch(`${probot.url}handled`)).json();
      expect(handled).toEqual({ handled: 1, bugs: 1 });
    } finally {
      await probot.stop();
    }
    expect(probot.child.signalCode).toBe("SIGKILL");
  });

  it("Node-RED answers the 1-node and 5-node chains", async () => {
    const nodeRed = await startNodeServer(join(import.meta.dirname, "node-red-server.ts"), {
      BENCH_NODE_RED_DIR: join(tmp, "node-red"),
    });
    try {
      for (const [path, n] of [
        ["chain1", 11],
        ["chain5", 15],
      ] as const) {
        const response = await fetch(`${nodeRed.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ n: 10 }),
        });
        expect([response.status, await response.json()]).toEqual([200, { n }]);
      }
    } finally {
      await nodeRed.stop();
    }
  });

  it("reports a server that exits before listening", async () => {
    await expect(
      startNodeServer(join(import.meta.dirname, "node-red-server.ts"), { BENCH_NODE_RED_DIR: "" }),
    ).rejects.toThrow("exited");
  });
});
