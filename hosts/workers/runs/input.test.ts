import { describe, expect, it } from "vitest";
import { parseEventId, sseFrame } from "./continuing.ts";
import { INPUT_BYTES, replayable, storedInput, triggerOf } from "./input.ts";

describe("a run's stored input", () => {
  it("keeps the trigger event as JSON, without credential headers", () => {
    const trigger = {
      type: "http",
      body: { n: 1 },
      headers: {
        "content-type": "application/json",
        authorization: "Bearer x",
        cookie: "a=b",
        "x-hub-signature-256": "sha256=00",
        "x-api-key": "k",
        "x-request-id": "r1",
      },
    };
    const stored = storedInput(trigger) as typeof trigger;
    expect(stored.headers).toEqual({ "content-type": "application/json", "x-request-id": "r1" });
    expect(triggerOf(stored)).toEqual({ ...trigger, headers: stored.headers });
    expect(replayable(stored)).toBe(true);
  });

  it("keeps bytes as base64 and gives them back as a Uint8Array; a stream cannot be replayed", () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const stored = storedInput({ type: "http", body: bytes });
    expect(stored).toEqual({ type: "http", body: { $bytes: "AAEC+v8=" } });
    expect((triggerOf(stored) as { body: Uint8Array }).body).toEqual(bytes);
    const streamed = storedInput({ type: "http", body: new ReadableStream() });
    expect(streamed).toEqual({ type: "http", body: { $stream: true } });
    expect(replayable(streamed)).toBe(false);
  });

  it("is cut past INPUT_BYTES, and then cannot be replayed", () => {
    const stored = storedInput({ type: "http", body: "x".repeat(INPUT_BYTES) });
    expect(stored).toMatchObject({ truncated: true });
    expect(replayable(stored)).toBe(false);
  });
});

describe("resumable SSE ids", () => {
  it("are <runId>:<n>; a bare number is an id too; anything else is not", () => {
    expect(parseEventId("6a71-e3:12")).toEqual({ runId: "6a71-e3", afterId: 12 });
    expect(parseEventId("7")).toEqual({ afterId: 7 });
    expect(parseEventId("a:b")).toBeUndefined();
    expect(parseEventId("x\ny:1")).toBeUndefined();
    expect(sseFrame("r", { id: 3, type: "end", data: "{}" })).toBe("event: end\nid: r:3\ndata: {}\n\n");
  });
});
