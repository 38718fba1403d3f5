import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";

// End to end through the example worker (wrangler.toml `main`) and the real local queue: POST /jobs runs the
// `enqueue` flow (queues.send to FLOW_QUEUE); the wrangler.toml consumer delivers the message to the same worker,
// whose `queue-to-kv` flow stores it in KV.
describe("a message sent by queues.send is consumed by a flow's queue trigger", () => {
  it("POST /jobs answers 202, and the consumer flow stores the body in KV", async () => {
    const probe = crypto.randomUUID();
    const response = await exports.default.fetch("http://example.test/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ probe }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ queued: 1 });
    await vi.waitFor(
      async () => {
        const { keys } = await env.FLOW_KV.list({ prefix: "queue-messages/" });
        const values = await Promise.all(keys.map((k) => env.FLOW_KV.get(k.name, "json")));
        expect(values).toContainEqual({ probe });
      },
      { timeout: 20_000, interval: 200 },
    );
  }, 30_000);
});

describe("the example file flows (R2 through the example worker)", () => {
  it("uploads a file as a stream and downloads it with its etag; a missing file is 404", async () => {
    const name = `${crypto.randomUUID()}.txt`;
    const put = await exports.default.fetch(`http://example.test/files/${name}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: "file body",
    });
    expect(put.status).toBe(200);
    const object = (await put.json()) as { key: string; size: number; httpEtag: string };
    expect(object).toMatchObject({ key: `files/${name}`, size: 9 });
    const got = await exports.default.fetch(`http://example.test/files/${name}`);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(object.httpEtag);
    expect(new TextDecoder().decode(await got.arrayBuffer())).toBe("file body");
    const missing = await exports.default.fetch("http://example.test/files/none.txt");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("FILE_NOT_FOUND");
  });
});
