import { describe, expect, it } from "vitest";
import { ChunkStream, runFlow } from "../../kernel/index.ts";
import { memoryLogger, mockFetch, node, planOf, ref } from "../../kernel/testing/helpers.ts";
import { retryAfterMs } from "./kinds.ts";

/** `http.fetch` against a mock fetch that honours the request's signal (both runtimes). */
export function httpFetchSuite(): void {
  describe("http.fetch", () => {
    const call = (inputs: Record<string, unknown>, config: Record<string, unknown> = {}, extra = {}) =>
      planOf(
        [node("call", "http.fetch", { inputs: inputs as never, config: config as never, ...extra })],
        [],
        { output: "call" },
      );
    const quiet = { logger: memoryLogger() };

    it("fetches JSON and outputs status, headers and the parsed body", async () => {
      const fetch = mockFetch(() => Response.json({ hello: "world" }, { headers: { "x-id": "7" } }));
      const result = await runFlow(call({ url: "https://api.example.com/greet" }), { fetch });
      expect(result.status).toBe("ok");
      expect(fetch.requests[0]!.method).toBe("GET");
      const out = (
        await runFlow(
          planOf(
            [
              node("call", "http.fetch", { inputs: { url: "https://a.example/x" } }),
              node("r", "transform", {
                inputs: {
                  s: ref("call", "status"),
                  b: ref("call", "body"),
                  h: "${{ nodes.call.headers['x-id'] }}",
                },
              }),
            ],
            [],
            { output: "r" },
          ),
          { fetch },
        )
      ).output;
      expect(out).toEqual({ s: 200, b: { hello: "world" }, h: "7" });
    });

    it("sends an object body as JSON with POST", async () => {
      const fetch = mockFetch(
        async (request) => new Response(await request.text(), { headers: { "content-type": "text/plain" } }),
      );
      await runFlow(call({ url: "https://api.example.com/orders", body: { id: 1 } }), { fetch });
      const request = fetch.requests[0]!;
      expect(request.method).toBe("POST");
      expect(request.headers.get("content-type")).toBe("application/json");
    });

    it("fails on an error status, retriably for 5xx and 429, not for 4xx; the message has no query string", async () => {
      const notFound = await runFlow(call({ url: "https://api.example.com/u?token=secret" }), {
        fetch: mockFetch(() => new Response("no", { status: 404 })),
        ...quiet,
      });
      expect(notFound.error?.code).toBe("HTTP_FETCH_FAILED");
      expect(notFound.error?.message).toBe("http.fetch GET https://api.example.com/u answered 404");
      expect(notFound.error?.retriable).toBe(false);
      const unavailable = await runFlow(call({ url: "https://api.example.com/u" }), {
        fetch: mockFetch(() => new Response("", { status: 503 })),
        ...quiet,
      });
      expect(unavailable.error?.retriable).toBe(true);
    });

    it("honours Retry-After on 429", async () => {
      let calls = 0;
      const fetch = mockFetch(() =>
        ++calls === 1 ? new Response("", { status: 429, headers: { "retry-after": "0" } }) : Response.json(1),
      );
      const result = await runFlow(
        call({ url: "https://a.example/" }, {}, { retry: { attempts: 2, delay: "5s", idempotent: true } }),
        { fetch },
      );
      expect(result.status).toBe("ok");
      expect(retryAfterMs("3", 0)).toBe(3_000);
      expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
      expect(retryAfterMs("soon", 0)).toBeUndefined();
    });

    it("returns error statuses as outputs with failOnError: false", async () => {
      const result = await runFlow(
        call({ url: "https://a.example/" }, { failOnError: false, responseType: "text" }),
        { fetch: mockFetch(() => new Response("gone", { status: 410 })) },
      );
      expect(result.output).toMatchObject({ status: 410, body: "gone" });
    });

    it("fails with NODE_INPUT_INVALID for a URL that is not absolute http(s)", async () => {
      const result = await runFlow(call({ url: "file:///etc/passwd" }), {
        fetch: mockFetch(() => Response.json(1)),
        ...quiet,
      });
      expect(result.error?.code).toBe("NODE_INPUT_INVALID");
    });

    it("fails retriably with HTTP_FETCH_FAILED when there is no response, hiding the cause", async () => {
      const fetch = mockFetch(() => Promise.reject(new TypeError("getaddrinfo ENOTFOUND internal-db.local")));
      const result = await runFlow(call({ url: "https://a.example/x" }), { fetch, ...quiet });
      expect(result.error?.message).toBe("http.fetch GET https://a.example/x failed: no response");
      expect(JSON.stringify(result.error)).not.toContain("internal-db");
    });

    it("streams the body with responseType: stream", async () => {
      const fetch = mockFetch(() => new Response(new Blob(["a", "b"]).stream()));
      const result = await runFlow(call({ url: "https://a.example/" }, { responseType: "stream" }), {
        fetch,
      });
      const body = (result.output as { body: ChunkStream<Uint8Array> }).body;
      expect(body).toBeInstanceOf(ChunkStream);
      const bytes = (await body.collect()).flatMap((c) => [...c]);
      expect(new TextDecoder().decode(new Uint8Array(bytes))).toBe("ab");
    });

    it("reads bytes with responseType: bytes", async () => {
      const fetch = mockFetch(() => new Response(new Uint8Array([1, 2, 3])));
      const result = await runFlow(call({ url: "https://a.example/" }, { responseType: "bytes" }), { fetch });
      expect((result.output as { body: Uint8Array }).body).toEqual(new Uint8Array([1, 2, 3]));
    });
  });
}
