import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Proves the Workers test project runs on real local bindings (not mocks) declared in wrangler.toml.
describe("local bindings from wrangler.toml", () => {
  it("stores and reads back a KV value with metadata", async () => {
    await env.FLOW_KV.put("bindings-test:kv", "v1", { metadata: { by: "test" } });
    const { value, metadata } = await env.FLOW_KV.getWithMetadata("bindings-test:kv");
    expect(value).toBe("v1");
    expect(metadata).toEqual({ by: "test" });
  });

  it("stores an R2 object and lists it by prefix", async () => {
    await env.FLOW_BUCKET.put("bindings-test/a.txt", "hello", {
      httpMetadata: { contentType: "text/plain" },
    });
    const object = await env.FLOW_BUCKET.get("bindings-test/a.txt");
    expect(await object?.text()).toBe("hello");
    expect(object?.httpMetadata?.contentType).toBe("text/plain");
    const listed = await env.FLOW_BUCKET.list({ prefix: "bindings-test/" });
    expect(listed.objects.map((o) => o.key)).toEqual(["bindings-test/a.txt"]);
  });

  it("accepts a message on the queue producer", async () => {
    const sent = (await env.FLOW_QUEUE.send({ hello: "queue" })) as unknown as
      | { metadata?: unknown }
      | undefined;
    // Current workerd answers with the queue's metrics; older ones with undefined. Either way it did not throw.
    expect(sent === undefined || typeof sent.metadata === "object").toBe(true);
  });
});
