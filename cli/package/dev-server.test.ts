import { createHmac } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../files.ts";
import { freePort } from "../run/testing.ts";
import {
  buildForDev,
  type DevServer,
  devVarsFiles,
  devVarsToken,
  generateViewerToken,
  startDev,
} from "./dev-server.ts";
import { devWorker, scheduledUrl } from "./dev-worker.ts";

const temp = mkdtempSync(join(tmpdir(), "flows-dev-"));
let server: DevServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(temp, { recursive: true, force: true });
});

describe("flows dev", () => {
  it("serves a folder of flows on workerd, serves a changed flow after the change, and stops cleanly", async () => {
    const flows = join(temp, "flows");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(flows, ".dev.vars"), "GITHUB_WEBHOOK_SECRET=dev-secret\n");
    const port = await freePort();
    let log = "";
    const builds: boolean[] = [];
    server = await startDev([flows], {
      port,
      out: join(temp, "out"),
      persistTo: join(temp, "state"),
      log: (text) => {
        log += text;
      },
      onBuild: (result) => builds.push(!(result instanceof Error) && result.ok),
    });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const echo = () =>
      fetch(`${server?.url}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a":1}',
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(await echo()).toEqual({ status: 200, body: { a: 1 } });
    // .dev.vars beside the flows goes next to the generated config, where wrangler reads it.
    // With a generated viewer token (none was given), which the served viewer takes.
    const token = /#token=([\w-]{32})$/.exec(server.viewerUrl)?.[1];
    expect(server.viewerUrl.startsWith(`${server.url}/_flows/#token=`)).toBe(true);
    expect(readFileSync(join(temp, "out", ".dev.vars"), "utf8")).toBe(
      `GITHUB_WEBHOOK_SECRET=dev-secret\n# The run viewer's token, written by flows dev (none was in .dev.vars)\nFLOWS_ADMIN_TOKEN=${token}\n`,
    );
    expect(log).toContain(".dev.vars");
    const viewerApi = (authorization?: string) =>
      fetch(`${server?.url}/_flows/api/flows`, authorization ? { headers: { authorization } } : {});
    expect((await viewerApi()).status).toBe(401);
    expect((await viewerApi(`Bearer ${token}`)).status).toBe(200);

    const file = join(flows, "echo.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("body: ${{ trigger.body }}", "body: { changed: true }"),
    );
    let answer: unknown;
    for (let i = 0; i < 120; i++) {
      answer = await echo().catch(() => undefined);
      if (JSON.stringify(answer) === JSON.stringify({ status: 200, body: { changed: true } })) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(answer).toEqual({ status: 200, body: { changed: true } });
    expect(server.builds()).toBeGreaterThanOrEqual(2);
    expect(builds.every(Boolean)).toBe(true);

    // An invalid change is reported; the last good Worker keeps serving.
    writeFileSync(file, "flows: 1\nid: echo\n");
    for (let i = 0; i < 50 && builds.at(-1) !== false; i++) await new Promise((r) => setTimeout(r, 100));
    expect(builds.at(-1)).toBe(false);
    expect((await echo()).status).toBe(200);

    await server.stop();
    expect(await server.exited).toBe(0);
    await expect(fetch(`${server.url}/_flows/health`)).rejects.toThrow();
    server = undefined;
    expect(existsSync(join(temp, "out", "worker.js"))).toBe(true);
  }, 120_000);
});

describe("flows dev on a port in use", () => {
  it("stops with a usage error naming the address, and leaves the output directory free", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    const flows = join(temp, "busy-port");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    const out = join(temp, "busy-port-out");
    try {
      await expect(startDev([flows], { port, out, log: () => {} })).rejects.toThrow(
        new UsageError(`cannot serve on 127.0.0.1:${port} (EADDRINUSE): choose another --port or --ip`),
      );
      expect(existsSync(join(out, ".flows-dev.pid"))).toBe(false);
    } finally {
      holder.close();
    }
  });
});

describe("firing a cron flow locally, as documented", () => {
  it("the cron READMEs give the URL flows dev serves and prints for their schedules", () => {
    for (const [file, cron] of [
      ["examples/cron-report/README.md", "0 * * * *"],
      ["cli/new/templates/cron/README.md", "0 7 * * MON-FRI"],
    ] as const) {
      const text = readFileSync(file, "utf8");
      expect(text).toContain(`curl '${scheduledUrl("http://127.0.0.1:8787", cron)}'`);
      expect(text).not.toContain("__scheduled");
    }
  });
});

describe("the viewer token of flows dev", () => {
  it("takes the last FLOWS_ADMIN_TOKEN of .dev.vars, quoted or not, and none from other keys", () => {
    expect(devVarsToken('A=1\nFLOWS_ADMIN_TOKEN=first-token\nFLOWS_ADMIN_TOKEN="second token"\n')).toBe(
      "second token",
    );
    expect(devVarsToken("FLOWS_ADMIN_TOKEN='abc' # comment\n")).toBe("abc");
    expect(devVarsToken("MY_FLOWS_ADMIN_TOKEN=x\n# FLOWS_ADMIN_TOKEN=y\n")).toBeUndefined();
    expect(generateViewerToken()).toMatch(/^[\w-]{32}$/);
    expect(generateViewerToken()).not.toBe(generateViewerToken());
  });

  it("binds the project's own .dev.vars (the working directory's, where wrangler dev reads it), the flows' nearer ones winning", async () => {
    const project = join(temp, "project-vars");
    const flows = join(project, "flows");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(project, ".dev.vars"), "FLOWS_ADMIN_TOKEN=project-viewer-token-123\nSHARED=project\n");
    writeFileSync(join(flows, ".dev.vars"), "SHARED=flows\n");
    const lines: string[] = [];
    const out = join(temp, "project-vars-out");
    const result = await buildForDev([flows], out, (l) => lines.push(l), "generated-not-used", project);
    expect(result.ok && result.viewerToken).toBe("project-viewer-token-123");
    expect(lines.join("")).toContain(
      `bindings from ${join(project, ".dev.vars")}, ${join(flows, ".dev.vars")}`,
    );
    // The last value of a name wins: the file beside the flows.
    expect(readFileSync(join(out, ".dev.vars"), "utf8")).toBe(
      "FLOWS_ADMIN_TOKEN=project-viewer-token-123\nSHARED=project\nSHARED=flows\n",
    );
  });

  it("keeps the user's token from .dev.vars instead of generating one", async () => {
    const flows = join(temp, "own-token");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(flows, ".dev.vars"), "FLOWS_ADMIN_TOKEN=my-own-viewer-token-123\n");
    const result = await buildForDev([flows], join(temp, "own-token-out"), undefined, "generated-not-used");
    expect(result.ok && result.viewerToken).toBe("my-own-viewer-token-123");
    expect(readFileSync(join(temp, "own-token-out", ".dev.vars"), "utf8")).toBe(
      "FLOWS_ADMIN_TOKEN=my-own-viewer-token-123\n",
    );
    // The packaged config lists the secret (wrangler deploy refuses a viewer package without it).
    expect(readFileSync(join(temp, "own-token-out", "wrangler.jsonc"), "utf8")).toContain(
      '"required": [\n      "FLOWS_ADMIN_TOKEN"\n    ]',
    );
  });

  it("warns when the user's token is too short for the viewer and the run API to accept", async () => {
    const flows = join(temp, "short-token");
    cpSync("examples/s3_workers_echo", flows, { recursive: true });
    writeFileSync(join(flows, ".dev.vars"), "FLOWS_ADMIN_TOKEN=short\n");
    const lines: string[] = [];
    const result = await buildForDev([flows], join(temp, "short-token-out"), (l) => lines.push(l));
    expect(result.ok && result.viewerToken).toBe("short");
    expect(lines.join("")).toContain("FLOWS_ADMIN_TOKEN in .dev.vars is shorter than 16 characters");
    const long: string[] = [];
    writeFileSync(join(flows, ".dev.vars"), "FLOWS_ADMIN_TOKEN=long-enough-token-123\n");
    await buildForDev([flows], join(temp, "short-token-out2"), (l) => long.push(l));
    expect(long.join("")).not.toContain("shorter than");
  });
});

describe("devVarsFiles", () => {
  it("finds .dev.vars in the directories given and beside every flow file, outer ones first", async () => {
    const root = join(temp, "vars");
    mkdirSync(join(root, "app", "deep"), { recursive: true });
    writeFileSync(join(root, ".dev.vars"), "A=1\n");
    writeFileSync(join(root, "app", "deep", ".dev.vars"), "B=2\n");
    const files = await devVarsFiles(
      [root],
      [join(root, "app", "deep", "x.yaml"), join(root, "app", "y.yaml")],
    );
    expect(files).toEqual([join(root, ".dev.vars"), join(root, "app", "deep", ".dev.vars")]);
    const app = join(root, "app");
    expect(await devVarsFiles([join(app, "y.yaml")], [join(app, "y.yaml")], app)).toEqual([]);
    // The project's own file (the working directory's by default) comes first.
    expect(await devVarsFiles([join(app, "y.yaml")], [join(app, "y.yaml")], root)).toEqual([
      join(root, ".dev.vars"),
    ]);
  });
});

/** Flows that exercise what `flows dev` adds around the Worker (secrets, cron, body limits). */
const FLOWS: Record<string, string> = {
  "hook.yaml": `flows: 1
id: hook
version: 1.0.0
bindings:
  GITHUB_WEBHOOK_SECRET: { type: secret }
triggers:
  - type: github
    events: [issues.opened]
nodes:
  - id: seen
    kind: transform
    inputs:
      name: \${{ trigger.name }}
output: seen
`,
  "tick.yaml": `flows: 1
id: tick
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
triggers:
  - type: cron
    schedule: "*/5 * * * *"
nodes:
  - id: store
    kind: kv.put
    inputs:
      key: ticks/last
      value: \${{ trigger.cron }}
`,
  "ticks.yaml": `flows: 1
id: ticks
version: 1.0.0
bindings:
  FLOW_KV: { type: kv }
triggers:
  - type: http
    method: GET
    path: /ticks
nodes:
  - id: last
    kind: kv.get
    inputs:
      key: ticks/last
  - id: reply
    kind: respond
    inputs:
      body:
        last: \${{ nodes.last.out }}
`,
  "small.yaml": `flows: 1
id: small
version: 1.0.0
triggers:
  - type: http
    method: POST
    path: /small
    maxBodySize: 1kb
nodes:
  - id: reply
    kind: respond
    inputs:
      body: \${{ trigger.body }}
`,
};

/** Sends raw bytes on one connection (without closing it) and returns what came back once the server closed. */
const rawExchange = (url: string, bytes: string): Promise<string> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    let text = "";
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(text));
    setTimeout(() => socket.destroy(), 10_000);
  });

describe("flows dev around the Worker", () => {
  let dev: DevServer | undefined;
  const dir = join(temp, "around");
  const out = join(temp, "around-out");
  let log = "";
  afterAll(async () => {
    await dev?.stop();
  });
  const serve = async (): Promise<DevServer> => {
    if (dev) return dev;
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(FLOWS)) writeFileSync(join(dir, name), text);
    writeFileSync(
      join(dir, ".dev.vars"),
      "GITHUB_WEBHOOK_SECRET=new-secret\nGITHUB_WEBHOOK_SECRET_PREVIOUS=old-secret\nGITHUB_API_URL=http://127.0.0.1:9/\n",
    );
    dev = await startDev([dir], {
      port: await freePort(),
      out,
      persistTo: join(temp, "around-state"),
      log: (text) => {
        log += text;
      },
    });
    return dev;
  };
  const deliver = async (secret: string) => {
    const body = JSON.stringify({ action: "opened", issue: { number: 1 }, repository: { full_name: "o/r" } });
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    const response = await fetch(`${(await serve()).url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": crypto.randomUUID(),
        "x-hub-signature-256": signature,
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
  };

  it("binds every .dev.vars key, not only the secrets the config requires: a delivery signed with the previous secret is taken", async () => {
    const server = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await deliver("new-secret")).toMatchObject({ status: 200 });
    expect(await deliver("old-secret")).toMatchObject({ status: 200 });
    expect((await deliver("wrong-secret")).body.error?.code).toBe("GITHUB_WEBHOOK_SIGNATURE_INVALID");
    // The generated config lists only the secrets the flows and the viewer declare; the Worker gets every key.
    expect(readFileSync(join(out, "wrangler.jsonc"), "utf8")).toContain(
      '"required": [\n      "GITHUB_WEBHOOK_SECRET",\n      "FLOWS_ADMIN_TOKEN"\n    ]',
    );
    const worker = await devWorker(out);
    expect(worker.options.bindings).toEqual({
      GITHUB_WEBHOOK_SECRET: "new-secret",
      GITHUB_WEBHOOK_SECRET_PREVIOUS: "old-secret",
      GITHUB_API_URL: "http://127.0.0.1:9/",
      FLOWS_ADMIN_TOKEN: expect.stringMatching(/^[\w-]{32}$/),
    });
    expect(log).toContain(`bindings from ${join(dir, ".dev.vars")}`);
  }, 120_000);

  it("fires a cron flow locally at the printed URL, with the schedule it was given", async () => {
    const server = await serve();
    expect(server.crons()).toEqual(["*/5 * * * *"]);
    const url = scheduledUrl(server.url, "*/5 * * * *");
    expect(url).toBe(`${server.url}/cdn-cgi/local/scheduled?cron=*%2F5+*+*+*+*`);
    const fired = await fetch(url);
    expect({ status: fired.status, text: await fired.text() }).toEqual({ status: 200, text: "ok" });
    let last: unknown;
    for (let i = 0; i < 50; i++) {
      last = await fetch(`${server.url}/ticks`).then((r) => r.json());
      if ((last as { last: unknown }).last !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).toEqual({ last: "*/5 * * * *" });
  }, 120_000);

  it("answers a declared Content-Length over maxBodySize with the 413 envelope, not a lost connection", async () => {
    const server = await serve();
    // 30 MB sent whole, as fetch and curl do: the Worker refuses it from its length, and the client still gets
    // the answer (under wrangler dev: 500 "Network connection lost", or no answer at all).
    const body = JSON.stringify({ a: "x".repeat(30_000_000) });
    for (let i = 0; i < 3; i++) {
      const big = await fetch(`${server.url}/small`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "BODY_TOO_LARGE",
        message: "request body exceeds the limit of 1024 bytes",
      });
    }
    // A body within the limit on the same server still goes through.
    const small = await fetch(`${server.url}/small`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(await small.json()).toEqual({ a: 1 });
  }, 120_000);

  it("answers a body that breaks off with the 400 BODY_INCOMPLETE envelope, not a 500 with a stack trace", async () => {
    const server = await serve();
    const text = await rawExchange(
      server.url,
      'POST /small HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"a":\r\nzz\r\n',
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"code":"BODY_INCOMPLETE"');
    expect(text).not.toContain("    at ");
  }, 120_000);

  it("refuses a second flows dev on the same output directory, before writing anything into it", async () => {
    await serve();
    const before = readFileSync(join(out, "flows.json"), "utf8");
    const other = join(temp, "other");
    cpSync("examples/s3_workers_echo", other, { recursive: true });
    await expect(startDev([other], { port: await freePort(), out, log: () => {} })).rejects.toThrow(
      new UsageError(
        `${out} is used by another \`flows dev\` (process ${process.pid}): give this one its own --out`,
      ),
    );
    expect(readFileSync(join(out, "flows.json"), "utf8")).toBe(before);
  }, 120_000);

  it("serves a new flow and the secret it needs, added within a second, without a later change", async () => {
    const server = await serve();
    const before = server.builds();
    writeFileSync(
      join(dir, "guarded.yaml"),
      `flows: 1
id: guarded
version: 1.0.0
bindings:
  API_TOKEN: { type: secret }
triggers:
  - type: http
    method: GET
    path: /guarded
nodes:
  - id: reply
    kind: respond
    inputs:
      body: guarded
`,
    );
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, ".dev.vars"), `${readFileSync(join(dir, ".dev.vars"), "utf8")}API_TOKEN=t0ken\n`);
    let answer: { status: number; text: string } | undefined;
    for (let i = 0; i < 150; i++) {
      answer = await fetch(`${server.url}/guarded`)
        .then(async (r) => ({ status: r.status, text: await r.text() }))
        .catch(() => undefined);
      if (answer?.status === 200 && server.builds() >= before + 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toEqual({ status: 200, text: "guarded" });
    expect((await devWorker(out)).options.bindings).toMatchObject({ API_TOKEN: "t0ken" });
  }, 120_000);
});
