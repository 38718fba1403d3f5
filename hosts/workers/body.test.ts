import { describe, expect, it } from "vitest";
import { FlowError } from "../../kernel/errors.ts";
import { isStreamableBody, parseByteSize, readLimited, readRequestBody, streamRequestBody } from "./body.ts";
import { streamedRequest } from "./fixtures/requests.ts";

const post = (body: BodyInit | null, headers: Record<string, string> = {}): Request =>
  new Request("http://x/", { method: "POST", body, headers });

async function rejection(promise: Promise<unknown>): Promise<FlowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowError);
  return error as FlowError;
}

describe("readRequestBody", () => {
  it("parses JSON, including +json media types", async () => {
    expect(
      await readRequestBody(post('{"a":1}', { "content-type": "application/json; charset=utf-8" })),
    ).toEqual({
      type: "json",
      value: { a: 1 },
    });
    expect(
      (await readRequestBody(post("[1]", { "content-type": "application/vnd.api+json" }))).value,
    ).toEqual([1]);
  });

  it("reads text types as text and octet-stream as bytes", async () => {
    expect(await readRequestBody(post("hi", { "content-type": "text/plain" }))).toEqual({
      type: "text",
      value: "hi",
    });
    const bytes = await readRequestBody(
      post(new Uint8Array([0, 255]), { "content-type": "application/octet-stream" }),
    );
    expect(bytes.type).toBe("bytes");
    expect([...(bytes.value as Uint8Array)]).toEqual([0, 255]);
  });

  it("treats a missing or empty body as null", async () => {
    expect(await readRequestBody(new Request("http://x/"))).toEqual({ type: "empty", value: null });
    expect(await readRequestBody(post("", { "content-type": "application/json" }))).toEqual({
      type: "empty",
      value: null,
    });
  });

  it("answers 400 for unparseable JSON and for invalid UTF-8", async () => {
    const bad = await rejection(readRequestBody(post("{nope", { "content-type": "application/json" })));
    expect([bad.code, bad.status]).toEqual(["BODY_INVALID_JSON", 400]);
    const utf8 = await rejection(
      readRequestBody(post(new Uint8Array([0xff, 0xfe]), { "content-type": "text/plain" })),
    );
    expect([utf8.code, utf8.status]).toEqual(["BODY_INVALID_UTF8", 400]);
  });

  it("answers 415 for an unsupported or missing content type", async () => {
    const image = await rejection(readRequestBody(post("x", { "content-type": "image/png" })));
    expect([image.code, image.status]).toEqual(["UNSUPPORTED_MEDIA_TYPE", 415]);
    const none = await rejection(
      readRequestBody(new Request("http://x/", { method: "POST", body: new Uint8Array([1]) })),
    );
    expect(none.status).toBe(415);
  });

  it("answers 413 from content-length before reading, and while reading a longer body", async () => {
    const declared = await rejection(
      readRequestBody(post("x", { "content-type": "text/plain", "content-length": "2000" }), 1000),
    );
    expect([declared.code, declared.status]).toEqual(["BODY_TOO_LARGE", 413]);
    const streamed = await rejection(
      readRequestBody(post("x".repeat(1001), { "content-type": "text/plain" }), 1000),
    );
    expect(streamed.status).toBe(413);
  });
});

describe("readLimited", () => {
  it("stops pulling from the stream once the limit is passed", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(100));
      },
    });
    await rejection(readLimited(stream, 250));
    expect(pulled).toBeLessThanOrEqual(5);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    const stream = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const reading = readLimited(stream, 1000, controller.signal);
    controller.abort(new Error("client went away"));
    await expect(reading).rejects.toThrow("client went away");
  });
});

describe("readRequestBody with a declared length", () => {
  const streamed = (chunks: Uint8Array[], fail?: Error) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        if (fail) controller.error(fail);
        else controller.close();
      },
    });
  const declared = (body: ReadableStream<Uint8Array>, length: number, type = "application/json") =>
    new Request("http://x/", {
      method: "POST",
      body,
      headers: { "content-type": type, "content-length": String(length) },
      duplex: "half",
    } as RequestInit);

  it("reads a body in several chunks whole", async () => {
    const encoder = new TextEncoder();
    const body = streamed([encoder.encode('{"a":'), encoder.encode("[1,2]}")]);
    expect(await readRequestBody(declared(body, 11), 100)).toEqual({ type: "json", value: { a: [1, 2] } });
  });

  it("answers 400 BODY_INCOMPLETE when the body breaks off", async () => {
    const body = streamed([new Uint8Array([123])], new Error("connection reset"));
    expect((await rejection(readRequestBody(declared(body, 10), 100))).code).toBe("BODY_INCOMPLETE");
  });

  it("still refuses a body longer than the limit when it is longer than it declared", async () => {
    const body = streamed([new Uint8Array(60), new Uint8Array(60)]);
    const error = await rejection(readRequestBody(declared(body, 50, "application/octet-stream"), 100));
    expect(error.code).toBe("BODY_TOO_LARGE");
  });

  it("answers an aborted signal before reading", async () => {
    const controller = new AbortController();
    controller.abort(new Error("client went away"));
    const body = streamed([new Uint8Array(5)]);
    await expect(
      readRequestBody(declared(body, 5, "application/octet-stream"), 100, controller.signal),
    ).rejects.toThrow("client went away");
  });
});

describe("parseByteSize", () => {
  it("reads b, kb and mb", () => {
    expect([parseByteSize("100b"), parseByteSize("2kb"), parseByteSize("1mb"), parseByteSize(7)]).toEqual([
      100, 2048, 1048576, 7,
    ]);
    expect(() => parseByteSize("lots")).toThrow(/invalid size/);
  });
});

describe("streamRequestBody (triggers with body: stream)", () => {
  it("passes an octet-stream body on unread, as a stream of the same bytes", async () => {
    const request = streamedRequest([10, 20, 30]);
    expect(isStreamableBody(request)).toBe(true);
    const { body, overLimit } = streamRequestBody(request, 100);
    expect(body.type).toBe("stream");
    let total = 0;
    for await (const chunk of body.value as ReadableStream<Uint8Array>) total += chunk.byteLength;
    expect(total).toBe(60);
    expect(overLimit()).toBeUndefined();
  });

  it("errors the stream with BODY_TOO_LARGE once the limit is passed, and reports it", async () => {
    const { body, overLimit } = streamRequestBody(streamedRequest([40, 40, 40]), 100);
    const error = await rejection(
      (async () => {
        for await (const _ of body.value as ReadableStream<Uint8Array>);
      })(),
    );
    expect(error.code).toBe("BODY_TOO_LARGE");
    expect(error.status).toBe(413);
    expect(overLimit()?.code).toBe("BODY_TOO_LARGE");
  });

  it("refuses a content-length over the limit at once", () => {
    expect(() => streamRequestBody(streamedRequest([1], { "content-length": "101" }), 100)).toThrow(
      "request body exceeds the limit of 100 bytes",
    );
  });

  it("streams any body the host would not parse, and leaves JSON and text bodies to readRequestBody", () => {
    expect(isStreamableBody(post("x", { "content-type": "image/png" }))).toBe(true);
    expect(isStreamableBody(post("x", { "content-type": "application/zip" }))).toBe(true);
    const untyped = new Request("http://x/", { method: "PUT", body: new Uint8Array([1]) });
    expect(isStreamableBody(untyped)).toBe(true);
    expect(isStreamableBody(post("{}", { "content-type": "application/json" }))).toBe(false);
    expect(isStreamableBody(post("{}", { "content-type": "application/vnd.api+json" }))).toBe(false);
    expect(isStreamableBody(post("a", { "content-type": "text/plain; charset=utf-8" }))).toBe(false);
    expect(isStreamableBody(post(null, { "content-type": "application/octet-stream" }))).toBe(false);
  });
});
