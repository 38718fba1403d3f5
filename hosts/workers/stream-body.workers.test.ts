import { describe, expect, it } from "vitest";
import { byteLengthOf } from "../../kernel/stream.ts";
import { streamRequestBody } from "./body.ts";
import { streamedRequest } from "./fixtures/requests.ts";

// A `body: stream` body with a content-length, inside workerd: piped natively (FixedLengthStream), not counted.

describe("streamRequestBody with a declared length (workerd)", () => {
  it("passes a body with a content-length within the limit on uncounted, marked with its length", async () => {
    const request = streamedRequest([10, 20], { "content-length": "30" });
    const { body, overLimit } = streamRequestBody(request, 100);
    expect(byteLengthOf(body.value)).toBe(30);
    let total = 0;
    for await (const chunk of body.value as ReadableStream<Uint8Array>) total += chunk.byteLength;
    expect(total).toBe(30);
    expect(overLimit()).toBeUndefined();
    // A chunked body (no content-length) is counted, so it carries no length.
    expect(byteLengthOf(streamRequestBody(streamedRequest([10]), 100).body.value)).toBeUndefined();
  });

  it("reports a declared body that breaks off as BODY_INCOMPLETE, and nothing once the run has ended", async () => {
    const declared = (source: ReadableStream<Uint8Array>): Request =>
      new Request("http://x/", {
        method: "PUT",
        body: source,
        headers: { "content-type": "application/octet-stream", "content-length": "100" },
        duplex: "half",
      } as RequestInit);
    // The source errors after its first chunk: the body is cut short.
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const cut = streamRequestBody(
      declared(
        new ReadableStream<Uint8Array>({
          start(c) {
            controller = c;
            c.enqueue(new Uint8Array(10));
          },
        }),
      ),
      1000,
    );
    const reader = (cut.body.value as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).value?.byteLength).toBe(10);
    controller.error(new Error("connection closed"));
    await expect(reader.read()).rejects.toBeDefined();
    expect(cut.overLimit()?.code).toBe("BODY_INCOMPLETE");

    // The run ended with the body still coming: the source is cancelled, and that is not the client's fault.
    let cancelled = false;
    const ended = streamRequestBody(
      declared(
        new ReadableStream<Uint8Array>({
          pull: (c) => c.enqueue(new Uint8Array(10)),
          cancel() {
            cancelled = true;
          },
        }),
      ),
      1000,
    );
    ended.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelled).toBe(true);
    expect(ended.overLimit()).toBeUndefined();
  });
});
