import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";

// The upload-pipeline example end to end, through the example worker (wrangler.toml `main`) with
// the real local R2 bucket, queue (producer and consumer), KV namespace and Durable Object.

const MB = 1024 * 1024;

async function upload(name: string, bytes: Uint8Array): Promise<Response> {
  return exports.default.fetch(`http://example.test/uploads/${name}`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) },
    body: bytes,
  });
}

describe("examples/upload-pipeline", () => {
  it("streams an upload into R2, queues it, processes it into KV and counts it once in a Durable Object", async () => {
    const name = `${crypto.randomUUID()}.bin`;
    const bytes = new Uint8Array(2 * MB).map((_, i) => i % 251);
    const before = await exports.default.fetch(`http://example.test/uploads/${name}/status`);
    expect(before.status).toBe(404);
    expect(((await before.json()) as { error: { code: string } }).error.code).toBe("UPLOAD_PENDING");

    const response = await upload(name, bytes);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      key: `uploads/${name}`,
      size: 2 * MB,
      status: `/uploads/${name}/status`,
    });
    const stored = await env.FLOW_BUCKET.get(`uploads/${name}`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);

    // The local queue delivers the message to the same worker's consumer flow.
    const status = await vi.waitFor(
      async () => {
        const answer = await exports.default.fetch(`http://example.test/uploads/${name}/status`);
        expect(answer.status).toBe(200);
        return (await answer.json()) as { upload: Record<string, unknown>; processed: number };
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(status.upload).toMatchObject({ name, key: `uploads/${name}`, size: 2 * MB, etag: stored!.etag });
    expect(status.processed).toBeGreaterThanOrEqual(1);
    const { metadata } = await env.FLOW_KV.getWithMetadata(`uploads/${name}`);
    expect(metadata).toEqual({ size: 2 * MB });
  }, 30_000);

  it("refuses an upload over 100 MB before reading it", async () => {
    const response = await exports.default.fetch("http://example.test/uploads/huge.bin", {
      method: "PUT",
      headers: { "content-type": "application/octet-stream", "content-length": String(101 * MB) },
      body: "x",
    });
    expect(response.status).toBe(413);
  });
});
