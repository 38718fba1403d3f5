import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { CAPABILITY_CODES } from "../../capabilities/codes.ts";
import { HOST_CODES } from "../../hosts/workers/codes.ts";
import { CODE_DEFAULTS } from "../../kernel/errors.ts";
import { seededRandom } from "../../test/random.ts";
import { type ServedWorker, serveOnWorkerd } from "../workerd.ts";
import type { SoakSection } from "./run.ts";

/**
 * Bad input, HTTP: malformed requests against the example worker (wrangler.toml: every example flow, the GitHub
 * webhook among them) served by workerd on 127.0.0.1. Most requests go through fetch (random methods, paths,
 * headers, content types, bodies: truncated, oversized, invalid UTF-8, deeply nested or hostile JSON, huge header
 * values); a share goes over raw TCP, for what fetch cannot send (a body shorter than its content-length, broken
 * chunked framing, bad request lines, bare LF, NUL bytes). Properties: no 5xx; every error answered by the worker
 * is the envelope `{error:{code,message,...}}` with the status of its code; no request hangs; the worker is
 * healthy afterwards. Requests are generated from a seed, so a failure can be replayed.
 */

const ROOT = join(import.meta.dirname, "..", "..");
/** The webhook secret the served worker is given (only for this test process). */
export const SOAK_WEBHOOK_SECRET = "soak-webhook-secret-3f9a1c";
/** The run viewer's bearer token (the FLOWS_ADMIN_TOKEN secret) of the served example. */
export const SOAK_ADMIN_TOKEN = "soak-viewer-token-7d2e90b1";
/** A request not answered within this time counts as a hang. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface ServedExample {
  url: URL;
  /** The Miniflare instance (its bindings: `getR2Bucket`, `getKVNamespace`). */
  mf: ServedWorker["mf"];
  /** The workerd process (for memory figures). */
  pid: number;
  dispose(): Promise<void>;
}

/**
 * Serves the example worker (examples/worker.ts, with the bindings of wrangler.toml) on workerd through Miniflare
 * at 127.0.0.1, without wrangler's dev proxy in front (which answers 500 itself when a request's framing breaks),
 * and with the webhook secret bound. Storage is in memory.
 */
export async function serveExampleWorker(
  outdir?: string,
  miniflareOptions: Record<string, unknown> = {},
): Promise<ServedExample> {
  // A directory per call: tests serving the worker in parallel must not overwrite each other's bundle.
  // Inside the repository (.flows/ is ignored): workerd resolves modules relative to the working directory.
  await mkdir(join(ROOT, ".flows"), { recursive: true });
  const dir = outdir ?? (await mkdtemp(join(ROOT, ".flows", "soak-worker-")));
  const script = join(dir, "example-worker.mjs");
  await build({
    entryPoints: [join(ROOT, "examples", "worker.ts")],
    outfile: script,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    loader: { ".yaml": "text", ".yml": "text" },
    target: "es2022",
    logLevel: "warning",
  });
  const served = await serveOnWorkerd(script, {
    bindings: { GITHUB_WEBHOOK_SECRET: SOAK_WEBHOOK_SECRET, FLOWS_ADMIN_TOKEN: SOAK_ADMIN_TOKEN },
    kvNamespaces: ["FLOW_KV"],
    r2Buckets: ["FLOW_BUCKET"],
    queueProducers: { FLOW_QUEUE: "flows-examples", UPLOAD_QUEUE: "flows-uploads" },
    queueConsumers: {
      "flows-examples": { maxBatchSize: 10, maxRetries: 3, deadLetterQueue: "flows-examples-dlq" },
      "flows-uploads": { maxBatchSize: 10, maxRetries: 3, deadLetterQueue: "flows-uploads-dlq" },
    },
    durableObjects: {
      FLOWS_RUNTIME: { className: "FlowsRuntime", useSQLite: true },
      FLOW_STATE: { className: "FlowsState", useSQLite: true },
    },
    ...miniflareOptions,
  });
  return {
    url: new URL(served.url),
    mf: served.mf,
    pid: served.pid,
    dispose: async () => {
      await served.mf.dispose();
      if (!outdir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Codes the example flows answer with themselves (`error` nodes: `config: { code: X, status: N }`). */
function exampleFlowCodes(): [string, number][] {
  const out: [string, number][] = [];
  const examples = join(ROOT, "examples");
  for (const dir of readdirSync(examples, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(examples, dir.name))) {
      if (!/\.ya?ml$/.test(name)) continue;
      const text = readFileSync(join(examples, dir.name, name), "utf8");
      for (const m of text.matchAll(/code: ([A-Z][A-Z0-9_]+), status: (\d{3})/g))
        out.push([m[1]!, Number(m[2])]);
    }
  }
  return out;
}

/** The status each code must be answered with: the kernel's, the capabilities', the host's and the examples'. */
export const EXPECTED_STATUS: ReadonlyMap<string, number> = new Map<string, number>([
  ...Object.entries(CODE_DEFAULTS).map(([code, d]) => [code, d.status ?? 500] as [string, number]),
  ...Object.entries(CAPABILITY_CODES).map(([code, d]) => [code, d.status] as [string, number]),
  ...Object.entries(HOST_CODES),
  ...exampleFlowCodes(),
]);

/**
 * workerd's own answer to a method it does not know (`FOO`): 501, plain text, before any worker code runs (RFC
 * 9110 §9.1 asks for 501 here). Counted apart, not as a failure of the worker.
 */
const WORKERD_UNKNOWN_METHOD = /^ERROR: Unrecognized request method/;

/**
 * The example worker's development aid `POST /_flows/validate` answers `{ok, diagnostics}` with 422 for an invalid
 * flow file (examples/worker.ts): a report, not an error envelope.
 */
const REPORT_PATH = /^\/_flows\/validate(\?|$)/;

// --- A seeded generator ------------------------------------------------------------------------------

type Rand = () => number;
const pickOne = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "FOO", "QUERY"];
const ROUTES = [
  "/echo",
  "/greet",
  "/echo/stream",
  "/echo/params/ada",
  "/files/a.txt",
  "/uploads/u1",
  "/uploads/u1/status",
  "/jobs",
  "/reports",
  "/github/issues/octo/hello/1",
  "/api/github/webhooks",
  "/_flows/health",
  "/_flows/validate",
  "/_flows/",
  "/_flows/api/runs",
];
const SEGMENTS = [
  "..",
  "%2e%2e",
  "%2E%2E%2F",
  "%2f",
  "%5c",
  "..%2f..%2f",
  "%00",
  "%zz",
  "%",
  "a b",
  "ü",
  "%F0%9F%92%A9",
  "%C0%AF",
  "%ff",
  "__proto__",
  "constructor",
  "x".repeat(300),
  "",
  ";",
  "*",
  "~",
  "run:abc",
  "flow/echo",
];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/vnd.github+json",
  "text/plain",
  "text/html",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  "image/png",
  "",
  ";;;",
  "application/json;",
  "APPLICATION/JSON",
  "*/*",
];
const HEADER_NAMES = [
  "x-github-event",
  "x-github-delivery",
  "x-hub-signature-256",
  "x-forwarded-for",
  "cf-connecting-ip",
  "x-flows-run-id",
  "x-flows-user",
  "authorization",
  "cookie",
  "accept",
  "accept-encoding",
  "last-event-id",
  "if-none-match",
  "x-random",
];

function randomPath(r: Rand): string {
  const base = pickOne(r, ROUTES);
  const roll = r();
  if (roll < 0.4) return base;
  if (roll < 0.7) {
    const parts = base.split("/");
    parts[1 + Math.floor(r() * (parts.length - 1))] = pickOne(r, SEGMENTS);
    return parts.join("/");
  }
  if (roll < 0.8)
    return `${base}?${pickOne(r, ["a=1", "a=%zz", `q=${"x".repeat(4000)}`, "&&&", "a[b]=1", "__proto__[x]=1"])}`;
  if (roll < 0.9)
    return `/${Array.from({ length: 1 + Math.floor(r() * 6) }, () => pickOne(r, SEGMENTS)).join("/")}`;
  return `${base}/${"a/".repeat(Math.floor(r() * 200))}`;
}

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** A body and its description (the kind of malformation, for the report). */
function randomBody(r: Rand): { body: Uint8Array<ArrayBuffer> | string | undefined; kind: string } {
  const roll = Math.floor(r() * 16);
  switch (roll) {
    case 0:
      return { body: undefined, kind: "none" };
    case 1:
      return { body: JSON.stringify({ name: "ada", n: 1, items: [1, 2, 3] }), kind: "json" };
    case 2: {
      const text = JSON.stringify({ name: "ada", list: Array.from({ length: 50 }, (_, i) => i) });
      return { body: text.slice(0, Math.floor(r() * text.length)), kind: "truncated json" };
    }
    case 3:
      return {
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]),
        kind: "invalid utf-8",
      };
    case 4:
      return { body: nested(5_000 + Math.floor(r() * 200_000), "[", "]"), kind: "deep json array" };
    case 5:
      return { body: nested(2_000 + Math.floor(r() * 50_000), '{"a":', "}"), kind: "deep json object" };
    case 6:
      return { body: "x".repeat(1024 * 1024 + 1 + Math.floor(r() * 1024 * 1024)), kind: "oversized" };
    case 7:
      return { body: JSON.stringify({ s: "y".repeat(900 * 1024) }), kind: "megabyte string" };
    case 8:
      return { body: JSON.stringify(Array.from({ length: 150_000 }, (_, i) => i % 10)), kind: "large list" };
    case 9:
      return {
        body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
        kind: "proto keys",
      };
    case 10:
      return { body: '{"a":1,"a":2,"b":1e999,"c":-0,"d":"\\ud800"}', kind: "odd json" };
    case 11: {
      const bytes = new Uint8Array(1 + Math.floor(r() * 4096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
      return { body: bytes, kind: "random bytes" };
    }
    case 12:
      return { body: "", kind: "empty" };
    case 13:
      return { body: "name=ada&x=%zz&&", kind: "form" };
    case 14:
      return { body: '"\u0000\u0001\u001f"', kind: "control chars" };
    default:
      return {
        body: JSON.stringify({ action: "opened", issue: { number: 1 }, repository: { full_name: "o/r" } }),
        kind: "webhook-like",
      };
  }
}

interface FetchCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string | undefined;
  kind: string;
}

function randomFetchCase(r: Rand): FetchCase {
  const method = pickOne(r, METHODS);
  const path = randomPath(r);
  const headers: Record<string, string> = {};
  const { body, kind } = randomBody(r);
  const contentType = pickOne(r, CONTENT_TYPES);
  if (contentType) headers["content-type"] = contentType;
  const extra = Math.floor(r() * 4);
  for (let i = 0; i < extra; i++) {
    const name = pickOne(r, HEADER_NAMES);
    headers[name] = pickOne(r, [
      "",
      "1",
      "issues",
      "sha256=",
      `sha256=${"0".repeat(64)}`,
      `sha256=${"g".repeat(64)}`,
      "sha1=abc",
      "../../x",
      "127.0.0.1",
      "Bearer x",
      "v".repeat(8 * 1024),
      "w".repeat(Math.floor(r() * 60 * 1024)),
    ]);
  }
  const noBody = method === "GET" || method === "HEAD";
  return { method, path, headers, body: noBody ? undefined : body, kind: noBody ? "none" : kind };
}

/** Raw HTTP/1.1 requests fetch cannot send. */
function randomRawCase(r: Rand, host: string): { bytes: Buffer; kind: string } {
  const path = pickOne(r, ["/echo", "/api/github/webhooks", "/greet", "/files/a.txt", "/nope"]);
  const roll = Math.floor(r() * 9);
  const head = (lines: string[]): string => `${lines.join("\r\n")}\r\n\r\n`;
  switch (roll) {
    case 0:
      return {
        bytes: Buffer.from(
          `${head([
            `POST ${path} HTTP/1.1`,
            `Host: ${host}`,
            "Content-Type: application/json",
            "Content-Length: 500",
            "Connection: close",
          ])}{"a":`,
        ),
        kind: "body shorter than content-length",
      };
    case 1: {
      // Half of them to the streamed upload (`PUT /files/:name`, `body: stream` into R2).
      const upload = r() < 0.5;
      const line = upload ? "PUT /files/chunked.bin HTTP/1.1" : `POST ${path} HTTP/1.1`;
      const type = upload ? "application/octet-stream" : "application/json";
      return {
        bytes: Buffer.from(
          `${head([
            line,
            `Host: ${host}`,
            `Content-Type: ${type}`,
            "Transfer-Encoding: chunked",
            "Connection: close",
          ])}5\r\n{"a":\r\nzz\r\n`,
        ),
        kind: "broken chunked framing",
      };
    }
    case 2:
      return {
        bytes: Buffer.from(
          `${head([
            `POST ${path} HTTP/1.1`,
            `Host: ${host}`,
            "Content-Type: application/json",
            "Content-Length: 3",
            "Content-Length: 7",
            "Connection: close",
          ])}{}\n`,
        ),
        kind: "two content-lengths",
      };
    case 3:
      return { bytes: Buffer.from(`GARBAGE / HTTP/9.9\r\nHost: ${host}\r\n\r\n`), kind: "bad request line" };
    case 4:
      return {
        bytes: Buffer.from(`GET ${path} HTTP/1.1\nHost: ${host}\nConnection: close\n\n`),
        kind: "bare LF",
      };
    case 5:
      return {
        bytes: Buffer.from(
          head([`GET ${path} HTTP/1.1`, `Host: ${host}`, "X-Nul: a\u0000b", "Connection: close"]),
        ),
        kind: "NUL in header",
      };
    case 6:
      return {
        bytes: Buffer.from(
          head([
            `GET ${path} HTTP/1.1`,
            `Host: ${host}`,
            `X-Huge: ${"h".repeat(200 * 1024)}`,
            "Connection: close",
          ]),
        ),
        kind: "200 KiB header",
      };
    case 7:
      return {
        bytes: Buffer.from(
          head([
            `POST ${path} HTTP/1.1`,
            `Host: ${host}`,
            "Content-Type: application/json",
            "Content-Length: -1",
            "Connection: close",
          ]),
        ),
        kind: "negative content-length",
      };
    default:
      return {
        bytes: Buffer.concat([
          Buffer.from(
            head([
              `POST ${path} HTTP/1.1`,
              `Host: ${host}`,
              "Content-Type: text/plain",
              "Content-Length: 6",
              "Connection: close",
            ]),
          ),
          Buffer.from([0xff, 0xfe, 0xfd, 0xc3, 0x28, 0xa0]),
        ]),
        kind: "invalid utf-8 over raw",
      };
  }
}

/** Sends raw bytes and reads the status line of the answer (undefined when the connection closes silently). */
function sendRaw(
  host: string,
  port: number,
  bytes: Buffer,
  halfClose: boolean,
): Promise<{ status?: number; body: string; fromWorker: boolean; timedOut: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf("\r\n\r\n");
      resolve({
        status: match ? Number(match[1]) : undefined,
        body: split === -1 ? "" : text.slice(split + 4),
        fromWorker: /\r\nx-flow-run-id:/i.test(split === -1 ? text : text.slice(0, split)),
        timedOut,
      });
    };
    // A request whose body never completes gets no answer until the client gives up: that is the right
    // behaviour (the server waits for the bytes it was promised), so the client closes its side after 2 s.
    const timer = setTimeout(() => done(!halfClose), halfClose ? 2_000 : REQUEST_TIMEOUT_MS);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}

export interface HttpFuzzStats {
  requests: number;
  byStatus: Map<number | string, number>;
  byKind: Map<string, number>;
  codes: Map<string, number>;
  failures: string[];
  rawRequests: number;
  rawNoAnswer: number;
  /** Raw requests answered by the worker (with x-flow-run-id), and by workerd's HTTP parser before it. */
  rawFromWorker: number;
  rawFromWorkerd: number;
  /** 501 answers of workerd itself to unknown methods (no worker code ran). */
  unknownMethod501: number;
  healthyAfter: boolean;
  ms: number;
}

/** Checks an answer: no 5xx; an error is the envelope, with its code's status. Returns a failure or undefined. */
export function checkAnswer(
  status: number,
  text: string,
  method: string,
  codes: Map<string, number>,
): string | undefined {
  if (status >= 500) return `status ${status}: ${text.slice(0, 200)}`;
  if (status < 400 || method === "HEAD") return undefined;
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(text);
  } catch {
    return `status ${status} without a JSON envelope: ${text.slice(0, 120)}`;
  }
  const code = parsed.error?.code;
  if (typeof code !== "string" || typeof parsed.error?.message !== "string")
    return `status ${status}: not an envelope: ${text.slice(0, 120)}`;
  codes.set(code, (codes.get(code) ?? 0) + 1);
  const expected = EXPECTED_STATUS.get(code);
  if (expected === undefined) return `undocumented code ${code}`;
  if (expected !== status) return `${code} answered with ${status}, expected ${expected}`;
  return undefined;
}

const count = <K>(map: Map<K, number>, key: K): void => void map.set(key, (map.get(key) ?? 0) + 1);

/**
 * Sends `total` malformed requests (a tenth over raw TCP) to `url`, `concurrency` at a time, then checks health.
 */
export async function fuzzHttp(url: URL, total: number, seed = 9, concurrency = 8): Promise<HttpFuzzStats> {
  const r = seededRandom(seed);
  const stats: HttpFuzzStats = {
    requests: 0,
    byStatus: new Map(),
    byKind: new Map(),
    codes: new Map(),
    failures: [],
    rawRequests: 0,
    rawNoAnswer: 0,
    unknownMethod501: 0,
    rawFromWorker: 0,
    rawFromWorkerd: 0,
    healthyAfter: false,
    ms: 0,
  };
  const host = url.hostname;
  const port = Number(url.port);
  const cases = Array.from({ length: total }, (_, i) =>
    i % 10 === 9 ? { raw: randomRawCase(r, `${host}:${port}`) } : { fetch: randomFetchCase(r) },
  );
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      stats.requests++;
      if (c.raw) {
        stats.rawRequests++;
        count(stats.byKind, `raw: ${c.raw.kind}`);
        const halfClose =
          c.raw.kind === "body shorter than content-length" || c.raw.kind === "broken chunked framing";
        const answer = await sendRaw(host, port, c.raw.bytes, halfClose);
        if (answer.timedOut) stats.failures.push(`raw ${c.raw.kind}: no answer in ${REQUEST_TIMEOUT_MS} ms`);
        if (answer.status === undefined) {
          stats.rawNoAnswer++;
          count(stats.byStatus, "closed without answer");
          continue;
        }
        count(stats.byStatus, answer.status);
        if (answer.status === 501 && WORKERD_UNKNOWN_METHOD.test(answer.body)) {
          stats.unknownMethod501++;
          continue;
        }
        if (answer.status >= 500)
          stats.failures.push(`raw ${c.raw.kind}: status ${answer.status}: ${answer.body.slice(0, 200)}`);
        else if (answer.fromWorker) {
          // Answered by the worker (it sets x-flow-run-id): the envelope rules apply; chunked bodies are rare here.
          stats.rawFromWorker++;
          const body = answer.body.startsWith("{")
            ? answer.body
            : answer.body.slice(answer.body.indexOf("{"));
          const failure = checkAnswer(
            answer.status,
            body.slice(0, body.lastIndexOf("}") + 1),
            "RAW",
            stats.codes,
          );
          if (failure) stats.failures.push(`raw ${c.raw.kind}: ${failure}`);
        } else stats.rawFromWorkerd++;
        continue;
      }
      const f = c.fetch!;
      count(stats.byKind, f.kind);
      try {
        // Origin + path as text: `new URL("//x", base)` would read a path starting with `//` as another host.
        const response = await fetch(`${url.origin}${f.path}`, {
          method: f.method,
          headers: f.headers,
          body: f.body,
          redirect: "manual",
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        count(stats.byStatus, response.status);
        if (response.status === 501 && WORKERD_UNKNOWN_METHOD.test(text)) {
          stats.unknownMethod501++;
          continue;
        }
        if (response.status === 422 && f.method === "POST" && REPORT_PATH.test(f.path)) continue;
        const failure = checkAnswer(response.status, text, f.method, stats.codes);
        if (failure) stats.failures.push(`${f.method} ${f.path.slice(0, 80)} (${f.kind}): ${failure}`);
      } catch (error) {
        // fetch refuses some inputs itself (a header value it will not send): not a server answer.
        const name = (error as Error).name;
        if (name === "TimeoutError")
          stats.failures.push(
            `${f.method} ${f.path.slice(0, 80)} (${f.kind}): no answer in ${REQUEST_TIMEOUT_MS} ms`,
          );
        count(stats.byStatus, `client refused (${name})`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  stats.ms = performance.now() - started;
  const health = await fetch(new URL("/_flows/health", url));
  const body = (await health.json()) as { ok?: boolean };
  stats.healthyAfter = health.status === 200 && body.ok === true;
  return stats;
}

export const badHttpSection: SoakSection = {
  name: "Bad input: HTTP",
  async run(print) {
    let logLines = 0;
    // The worker's own log lines (one per run) are counted, not printed.
    const served = await serveExampleWorker(undefined, { handleStructuredLogs: () => void logLines++ });
    try {
      const stats = await fuzzHttp(served.url, 10_000);
      const statuses = [...stats.byStatus].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      print(
        `requests: ${stats.requests} (${stats.rawRequests} over raw TCP) in ${(stats.ms / 1000).toFixed(1)} s (${Math.round(stats.requests / (stats.ms / 1000))}/s)`,
      );
      print(`by status: ${statuses.map(([s, n]) => `${s}: ${n}`).join(", ")}`);
      print(
        `error codes: ${[...stats.codes]
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c} ${n}`)
          .join(", ")}`,
      );
      print(`unknown methods refused by workerd itself (501, before the worker): ${stats.unknownMethod501}`);
      print(
        `raw TCP: ${stats.rawFromWorker} answered by the worker (envelope checked), ${stats.rawFromWorkerd} refused by workerd's HTTP parser before the worker, ${stats.rawNoAnswer} closed without an answer`,
      );
      print(`healthy afterwards: ${stats.healthyAfter}; worker log lines: ${logLines}`);
      for (const failure of stats.failures.slice(0, 10)) print(`failure: ${failure}`);
      print(`failures: ${stats.failures.length}`);
      return stats.failures.length === 0 && stats.healthyAfter && stats.requests >= 10_000;
    } finally {
      await served.dispose();
    }
  },
};
