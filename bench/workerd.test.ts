import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAnswer, loadFromProcess } from "./load-process.ts";
import {
  bundleWorkers,
  cpuMs,
  ROOT,
  serveWithWorkerd,
  type WorkerdServer,
  workerdConfig,
} from "./workerd.ts";

// The benchmark harness: workerd serve from a generated config, the load process, CPU from /proc. Timings are
// printed by `npm run bench`, never asserted.

const dir = join(ROOT, ".tmp", "bench", `workerd-test-${process.pid}`);
let bundles: Record<string, string>;

beforeAll(async () => {
  bundles = await bundleWorkers(["empty", "hono-chain"], dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bundles for Node", () => {
  it("load in Node with every cloudflare: module the runtime imports stood in", async () => {
    const names = ["flows-github", "hono-github", "flows-metrics", "flows-recording"];
    const node = await bundleWorkers(names, join(dir, "node"), undefined, { node: true });
    for (const name of names) {
      const module = (await import(node[name]!)) as { default?: { fetch?: unknown } };
      expect(typeof module.default?.fetch, name).toBe("function");
    }
  });
});

const gone = (pid: number): boolean => {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
};

describe("workerdConfig", () => {
  it("gives each Durable Object class SQLite storage in a local disk service at an absolute path", () => {
    const config = workerdConfig({
      bundle: join(dir, "flows-github.mjs"),
      dir,
      text: { SECRET: 'a "quoted" value' },
      durableObjects: { FLOWS_RUNTIME: "FlowsRuntime" },
      port: 9790,
    });
    expect(config).toContain('esModule = embed "flows-github.mjs"');
    expect(config).toContain('address = "127.0.0.1:9790"');
    expect(config).toContain('(name = "SECRET", text = "a \\"quoted\\" value")');
    expect(config).toContain('(name = "FLOWS_RUNTIME", durableObjectNamespace = "FlowsRuntime")');
    expect(config).toContain(
      '(className = "FlowsRuntime", uniqueKey = "bench-FlowsRuntime", enableSql = true)',
    );
    expect(config).toContain(`disk = (path = ${JSON.stringify(join(dir, "objects"))}, writable = true)`);
    expect(config).toContain('durableObjectStorage = (localDisk = "disk")');
  });

  it("has no disk service and no storage when there is no Durable Object", () => {
    const config = workerdConfig({ bundle: join(dir, "empty.mjs"), dir });
    expect(config).not.toContain("disk");
    expect(config).toContain('address = "127.0.0.1:0"');
  });
});

describe("serveWithWorkerd", () => {
  it("serves a bundle on workerd's own pid, whose CPU /proc shows, and stops it for good", async () => {
    const server = await serveWithWorkerd({ bundle: bundles.empty!, dir: join(dir, "one"), cpus: "0" });
    let stopped = false;
    try {
      expect(readFileSync(`/proc/${server.pid}/comm`, "utf8").trim()).toBe("workerd");
      const response = await fetch(server.url);
      expect(await response.text()).toBe("ok");
      // /proc counts CPU in clock ticks (10 ms): workerd's start and one answer may take less than one. Requests go
      // on (a few thousand at most, well over a tick of work) until its own pid has been charged some.
      for (let i = 0; i < 5_000 && cpuMs(server.pid) === 0; i++) await (await fetch(server.url)).text();
      expect(cpuMs(server.pid)).toBeGreaterThan(0);
      if (server.pinned) {
        const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
        expect(/Cpus_allowed_list:\s+(\S+)/.exec(status)?.[1]).toBe("0");
      }
      await server.stop();
      stopped = true;
      expect(gone(server.pid)).toBe(true);
      await expect(fetch(server.url)).rejects.toThrow();
      await server.stop();
    } finally {
      if (!stopped) await server.stop();
    }
  });

  it("fails with workerd's error when the port is taken, instead of leaving the load to the other instance", async () => {
    const first = await serveWithWorkerd({ bundle: bundles.empty!, dir: join(dir, "first") });
    try {
      await expect(
        serveWithWorkerd({ bundle: bundles.empty!, dir: join(dir, "second"), port: first.port }),
      ).rejects.toThrow(/workerd exited .* before listening: .*[Aa]ddress already in use/s);
      expect(await (await fetch(first.url)).text()).toBe("ok");
    } finally {
      await first.stop();
    }
  });
});

describe("loadFromProcess", () => {
  let server: WorkerdServer;
  beforeAll(async () => {
    server = await serveWithWorkerd({ bundle: bundles["hono-chain"]!, dir: join(dir, "chain"), cpus: "0" });
  });
  afterAll(() => server.stop());

  const spec = (expected: unknown) => ({
    url: `${server.url}chain5`,
    method: "POST" as const,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ n: 1 }),
    connections: 2,
    seconds: 1,
    serverPid: server.pid,
    expect: { status: 200, json: expected },
  });

  it("loads the server from another process and counts the server's CPU per checked answer", async () => {
    const result = await loadFromProcess(spec({ n: 6 }));
    expect(result.requests).toBeGreaterThan(0);
    expect(result.perSecond).toBeGreaterThan(0);
    expect(result.cpuMs).toBeGreaterThan(0);
    expect(result.cpuMsPerRequest).toBe(result.cpuMs / result.requests);
  });

  it("fails the run on a wrong answer instead of counting it as fast", async () => {
    await expect(loadFromProcess(spec({ n: 7 }))).rejects.toThrow(
      /wrong answers, the first: answered \{"n":6\}, expected \{"n":7\}/,
    );
  });

  it("refuses to send load anywhere but 127.0.0.1", async () => {
    await expect(loadFromProcess({ ...spec({ n: 6 }), url: "http://localhost:9/chain5" })).rejects.toThrow(
      /load only goes to 127\.0\.0\.1, not localhost/,
    );
  });
});

describe("checkAnswer", () => {
  it("names the first thing wrong with an answer", () => {
    expect(checkAnswer({ status: 200 }, 500, "boom")).toBe("status 500: boom");
    expect(checkAnswer({ status: 200, includes: '"label-issue"' }, 200, '{"flows":[]}')).toBe(
      'body without "label-issue": {"flows":[]}',
    );
    expect(checkAnswer({ status: 200, json: { n: 2 } }, 200, "nope")).toBe("not JSON: nope");
    expect(checkAnswer({ status: 200, json: { n: 2 } }, 200, '{"n":2}')).toBeUndefined();
  });
});
