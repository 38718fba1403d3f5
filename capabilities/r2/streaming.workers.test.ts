import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowDocument, NodeDecl } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { pumpedChunkCount } from "../../kernel/stream.ts";
import { byteSource, verifyStream } from "../testing.ts";
import { R2_KINDS } from "./kinds.ts";

// A served flow streams an upload into R2 (`body: stream` → r2.put) and back out (r2.get → respond), inside workerd
// with the real local bucket. A probe kind measures how many bytes are in flight between the client's stream and
// the r2.put node: the host and the kernel must not buffer the body.

const MB = 1024 * 1024;
const stats = { passed: 0 };

// `test.tap` passes input `body` on through a counting TransformStream. Its output is `{ stream }` (a stream inside
// an object, so the kernel hands it on as a value instead of pumping it).
const tap: NodeKind = {
  spec: {
    kind: "test.tap",
    description: "Counts the bytes of input `body` as they pass.",
    effect: "pure",
    determinism: "strict",
    inputs: { body: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) => {
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        stats.passed += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { out: { stream: (ctx.inputs.body as ReadableStream<Uint8Array>).pipeThrough(counter) } };
  },
};

const SIZE = "${{ 'content-length' in trigger.headers ? trigger.headers['content-length'] : null }}";
const KEY = "${{ 'streaming/' + trigger.params.name }}";

/** `PUT /<path>/:name` streamed (`body: stream`) into one `r2.put` of the body, with `put`'s other fields. */
const uploadFlow = (
  id: string,
  path: string,
  maxBodySize: string,
  put: Partial<NodeDecl> = {},
): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: { FLOW_BUCKET: { type: "r2", bucket: "flows-examples" } },
  triggers: [{ type: "http", method: "PUT", path: `/${path}/:name`, body: "stream", maxBodySize }],
  nodes: [{ id: "put", kind: "r2.put", ...put, inputs: { key: KEY, body: "${{ trigger.body }}" } }],
  output: "put",
});

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "upload",
    version: "1.0.0",
    bindings: { FLOW_BUCKET: { type: "r2", bucket: "flows-examples" } },
    triggers: [{ type: "http", method: "PUT", path: "/files/:name", body: "stream", maxBodySize: "100mb" }],
    nodes: [{ id: "put", kind: "r2.put", inputs: { key: KEY, body: "${{ trigger.body }}", size: SIZE } }],
    output: "put",
  },
  {
    flows: 1,
    id: "upload-tapped",
    version: "1.0.0",
    bindings: { FLOW_BUCKET: { type: "r2", bucket: "flows-examples" } },
    triggers: [{ type: "http", method: "PUT", path: "/tapped/:name", body: "stream", maxBodySize: "100mb" }],
    nodes: [
      { id: "tap", kind: "test.tap", inputs: { body: "${{ trigger.body }}" } },
      { id: "put", kind: "r2.put", inputs: { key: KEY, body: "${{ nodes.tap.out.stream }}" } },
    ],
    output: "put",
  },
  uploadFlow("unsized-upload", "unsized", "100mb"),
  uploadFlow("impatient-upload", "impatient", "100mb", { timeout: "300ms" }),
  uploadFlow("small-upload", "small", "1mb"),
  {
    flows: 1,
    id: "download",
    version: "1.0.0",
    bindings: { FLOW_BUCKET: { type: "r2", bucket: "flows-examples" } },
    triggers: [{ type: "http", method: "GET", path: "/files/:name" }],
    nodes: [
      { id: "get", kind: "r2.get", inputs: { key: KEY } },
      {
        id: "answer",
        kind: "respond",
        inputs: {
          body: "${{ nodes.get.out }}",
          headers: { "content-type": "application/octet-stream", etag: "${{ nodes.get.object.httpEtag }}" },
        },
      },
    ],
  },
  {
    flows: 1,
    id: "download-and-copy",
    version: "1.0.0",
    bindings: { FLOW_BUCKET: { type: "r2", bucket: "flows-examples" } },
    triggers: [{ type: "http", method: "GET", path: "/copied/:name" }],
    nodes: [
      { id: "get", kind: "r2.get", inputs: { key: KEY } },
      {
        id: "copy",
        kind: "r2.put",
        inputs: {
          key: "${{ 'copies/' + trigger.params.name }}",
          body: "${{ nodes.get.out }}",
          size: "${{ nodes.get.object.size }}",
        },
      },
      { id: "answer", kind: "respond", inputs: { body: "${{ nodes.get.out }}" } },
    ],
  },
];

const worker = createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, R2_KINDS, tap), log: () => {} });
const ctx = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;
const call = (path: string, init?: RequestInit) =>
  worker.fetch(new Request(`http://flows.test${path}`, init), env as object, ctx);

const put = (
  path: string,
  body: ReadableStream<Uint8Array> | Uint8Array,
  headers: Record<string, string> = {},
) =>
  call(path, {
    method: "PUT",
    body,
    headers: { "content-type": "application/octet-stream", ...headers },
    ...({ duplex: "half" } as object),
  });

/** `bucket`, with the bodies of `get` counted as R2 hands them out (`stats.read`). */
function countingBucket(bucket: R2Bucket, stats: { read: number }): R2Bucket {
  const bound = (target: object, prop: string | symbol) => {
    const value = Reflect.get(target, prop, target);
    return typeof value === "function" ? value.bind(target) : value;
  };
  return new Proxy(bucket, {
    get(target, prop) {
      if (prop !== "get") return bound(target, prop);
      return async (...args: Parameters<R2Bucket["get"]>) => {
        const object = await target.get(...args);
        if (!object || !("body" in object)) return object;
        const counted = object.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              stats.read += chunk.byteLength;
              controller.enqueue(chunk);
            },
          }),
        );
        return new Proxy(object, { get: (t, p) => (p === "body" ? counted : bound(t, p)) });
      };
    },
  });
}

describe("streaming an upload into R2 and back (body: stream)", () => {
  it("streams a 50 MB object out to a slow client holding at most ~1 MiB between R2 and the client", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    const uploaded = await put(`/files/${name}`, byteSource(50 * MB, 11, 256 * 1024), {
      "content-length": String(50 * MB),
    });
    expect(uploaded.status).toBe(200);
    const stats = { read: 0 };
    const bindings = { ...(env as object), FLOW_BUCKET: countingBucket(env.FLOW_BUCKET, stats) };
    const response = await worker.fetch(new Request(`http://flows.test/files/${name}`), bindings, ctx);
    expect(response.status).toBe(200);
    // The answer starts while R2 is still being read: the host does not wait for the run to end.
    expect(stats.read).toBeLessThan(50 * MB);
    let received = 0;
    let maxAhead = 0;
    let chunks = 0;
    const checked = response.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        async transform(chunk, controller) {
          received += chunk.byteLength;
          maxAhead = Math.max(maxAhead, stats.read - received);
          // A slow client: without backpressure the kernel would read the whole object ahead of it.
          if (++chunks % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          controller.enqueue(chunk);
        },
      }),
    );
    expect(await verifyStream(checked, 11)).toBe(50 * MB);
    console.log(`streaming download: at most ${maxAhead} bytes read from R2 ahead of the client`);
    expect(maxAhead).toBeLessThanOrEqual(2 * MB);
  }, 120_000);

  it("hands R2's body to the response untouched (no chunk pumped), and pumps it when two nodes read it", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    const size = 4 * MB;
    const uploaded = await put(`/files/${name}`, byteSource(size, 5, 64 * 1024), {
      "content-length": String(size),
    });
    expect(uploaded.status).toBe(200);
    const pumped = pumpedChunkCount();
    const downloaded = await call(`/files/${name}`);
    expect(downloaded.status).toBe(200);
    expect(await verifyStream(downloaded.body!, 5)).toBe(size);
    expect(pumpedChunkCount()).toBe(pumped);

    // The run viewer's history (`flows dev` records every run in the isolate) does without the chunks.
    const token = "streaming-test-viewer-token-0123456789";
    const watched = createWorker(flows, {
      registry: createRegistry(BUILTIN_KINDS, R2_KINDS, tap),
      log: () => {},
      viewer: { recordAll: true },
    });
    const watchedEnv = { ...(env as object), FLOWS_ADMIN_TOKEN: token };
    const viewed = await watched.fetch(new Request(`http://flows.test/files/${name}`), watchedEnv, ctx);
    expect(await verifyStream(viewed.body!, 5)).toBe(size);
    expect(pumpedChunkCount()).toBe(pumped);
    const runId = viewed.headers.get("x-flow-run-id")!;
    const events = await watched.fetch(
      new Request(`http://flows.test/_flows/api/runs/${runId}/events`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      watchedEnv,
      ctx,
    );
    const log = await events.text();
    expect(log).toContain("event: run.end");
    expect(log).not.toContain("event: node.chunk");

    // Two readers (the copy and the answer): the bounded ChunkStream, both byte-exact.
    const copied = await call(`/copied/${name}`);
    expect(copied.status).toBe(200);
    expect(await verifyStream(copied.body!, 5)).toBe(size);
    expect(pumpedChunkCount()).toBeGreaterThan(pumped);
    const copy = await env.FLOW_BUCKET.get(`copies/${name}`);
    expect(await verifyStream(copy!.body, 5)).toBe(size);
  }, 60_000);

  it("round-trips 50 MB of unknown length byte-exact (multipart), with at most 256 KiB in flight before r2.put", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    let maxInFlight = 0;
    stats.passed = 0;
    const source = byteSource(50 * MB, 42, 64 * 1024, (produced) => {
      maxInFlight = Math.max(maxInFlight, produced - stats.passed);
    });
    const uploaded = await put(`/tapped/${name}`, source);
    expect(uploaded.status).toBe(200);
    expect(await uploaded.json()).toMatchObject({ key: `streaming/${name}`, size: 50 * MB });
    expect(stats.passed).toBe(50 * MB);
    // Bytes made by the client but not yet handed on by the tap (in the request, the host's counter, the tap).
    console.log(`streaming upload: at most ${maxInFlight} bytes in flight before r2.put`);
    expect(maxInFlight).toBeLessThanOrEqual(256 * 1024);

    const downloaded = await call(`/files/${name}`);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get("content-type")).toBe("application/octet-stream");
    expect(await verifyStream(downloaded.body!, 42)).toBe(50 * MB);
  }, 120_000);

  it("round-trips 50 MB sent with a content-length in one put (FixedLengthStream)", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    const source = byteSource(50 * MB, 7, 256 * 1024);
    const uploaded = await put(`/files/${name}`, source, { "content-length": String(50 * MB) });
    expect(uploaded.status).toBe(200);
    expect(await uploaded.json()).toMatchObject({ size: 50 * MB });
    const object = await env.FLOW_BUCKET.get(`streaming/${name}`);
    expect(await verifyStream(object!.body, 7)).toBe(50 * MB);
  }, 120_000);

  it("puts a body that came with a content-length in one request without input size, one of unknown length in parts", async () => {
    const etags: Record<string, string> = {};
    for (const [name, headers] of [
      ["declared", { "content-length": String(12 * MB) }],
      ["chunked", {}],
    ] as const) {
      const key = `${crypto.randomUUID()}-${name}.bin`;
      const uploaded = await put(`/unsized/${key}`, byteSource(12 * MB, 5, 256 * 1024), headers);
      expect(uploaded.status).toBe(200);
      expect(await uploaded.json()).toMatchObject({ size: 12 * MB });
      const object = await env.FLOW_BUCKET.get(`streaming/${key}`);
      expect(await verifyStream(object!.body, 5)).toBe(12 * MB);
      etags[name] = object!.etag;
    }
    // R2 names a multipart object's etag after its parts (`…-3`); a single put's is a plain MD5.
    expect(etags.declared).toMatch(/^[0-9a-f]{32}$/);
    expect(etags.chunked).toMatch(/-3$/);
  }, 120_000);

  it("ends an r2.put of a body with a content-length on its timeout, stops the body and stores nothing", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    let cancelled = false;
    let pulls = 0;
    // 64 KiB of a declared 1 MiB, the next 64 KiB after 600 ms (past the node's 300 ms), then nothing: a slow client.
    const slow = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          pulls++;
          if (pulls === 2) await new Promise((resolve) => setTimeout(resolve, 600));
          if (pulls > 2) return new Promise<void>(() => {});
          controller.enqueue(new Uint8Array(64 * 1024));
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const started = Date.now();
    const response = await put(`/impatient/${name}`, slow, { "content-length": String(MB) });
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("NODE_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(5_000);
    // The run has ended: the host stops feeding the body at its next chunk (a JavaScript source cannot be
    // interrupted mid-read; the platform's own request body can), which fails the put.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(cancelled).toBe(true);
    expect(await env.FLOW_BUCKET.head(`streaming/${name}`)).toBeNull();
  });

  it("answers 413 BODY_TOO_LARGE once a streamed body passes maxBodySize, and stores nothing", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    const response = await put(`/small/${name}`, byteSource(2 * MB, 3, 64 * 1024));
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("BODY_TOO_LARGE");
    expect(body.error.message).toBe(`request body exceeds the limit of ${MB} bytes`);
    expect(await env.FLOW_BUCKET.head(`streaming/${name}`)).toBeNull();
  });

  it("refuses a declared content-length over the limit before reading", async () => {
    const response = await put("/small/x.bin", new Uint8Array(2 * MB), { "content-length": String(2 * MB) });
    expect(response.status).toBe(413);
  });

  it("streams a body of any type but JSON and text (an image, none at all) instead of refusing it", async () => {
    for (const headers of [{ "content-type": "image/png" }, {}] as Record<string, string>[]) {
      const key = `${crypto.randomUUID()}.bin`;
      const uploaded = await call(`/unsized/${key}`, {
        method: "PUT",
        body: byteSource(1 * MB, 3, 64 * 1024),
        headers: { "content-length": String(1 * MB), ...headers },
        ...({ duplex: "half" } as object),
      });
      expect(uploaded.status).toBe(200);
      const object = await env.FLOW_BUCKET.get(`streaming/${key}`);
      expect(await verifyStream(object!.body, 3)).toBe(1 * MB);
    }
  });

  it("still parses a JSON body on a body: stream trigger", async () => {
    const response = await call("/small/x.json", {
      method: "PUT",
      body: JSON.stringify({ a: 1 }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    expect(await (await env.FLOW_BUCKET.get("streaming/x.json"))!.json()).toEqual({ a: 1 });
  });
});
