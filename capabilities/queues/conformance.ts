import { describe, expect, it } from "vitest";
import { failKind, runKind } from "../testing.ts";
import { QUEUES_KINDS } from "./kinds.ts";

/**
 * The Queues conformance suite: `queues.send` and `queues.sendBatch` against one implementation of a queue
 * producer, bound as `FLOW_QUEUE`. (Consumption end to end is in `queues.workers.test.ts`.)
 */
export function queuesConformance(name: string, makeEnv: () => Record<string, unknown>): void {
  describe(`Queues capability (${name})`, () => {
    const config = { binding: "FLOW_QUEUE" };
    const call = (inputs: Record<string, unknown>, extra: Record<string, string> = {}) => ({
      env: makeEnv(),
      inputs,
      config: { ...config, ...extra },
    });
    const run = (kind: string, inputs: Record<string, unknown>, extra: Record<string, string> = {}) =>
      runKind(QUEUES_KINDS, kind, call(inputs, extra));

    it("sends one JSON message", async () => {
      expect(await run("queues.send", { body: { capability: "queues", n: 1 } })).toEqual({ out: 1 });
    });

    it("sends a text message with a delay", async () => {
      expect(await run("queues.send", { body: "later", delaySeconds: 1, contentType: "text" })).toEqual({
        out: 1,
      });
    });

    it("sends a batch of plain bodies, and a batch of { body, delaySeconds, contentType } items", async () => {
      expect(await run("queues.sendBatch", { messages: [{ a: 1 }, { a: 2 }, "three"] })).toEqual({ out: 3 });
      expect(
        await run("queues.sendBatch", {
          messages: [
            { body: "x", contentType: "text" },
            { body: { y: 1 }, delaySeconds: 1 },
          ],
          delaySeconds: 0,
        }),
      ).toEqual({ out: 2 });
    });

    it("refuses an empty batch and one over 100 messages, before sending", async () => {
      const empty = await failKind(QUEUES_KINDS, "queues.sendBatch", call({ messages: [] }));
      expect(empty.code).toBe("NODE_INPUT_INVALID");
      expect(empty.message).toBe("node `n`: input `messages` must be a list of 1 to 100 messages, got 0");
      const many = await failKind(QUEUES_KINDS, "queues.sendBatch", call({ messages: Array(101).fill(1) }));
      expect(many.message).toContain("got 101");
    });

    it("refuses an unknown content type and a delay over 24 hours", async () => {
      const type = await failKind(QUEUES_KINDS, "queues.send", call({ body: 1, contentType: "xml" }));
      expect(type.message).toBe(
        "node `n`: input `contentType` must be one of json, text, bytes, v8, got a string",
      );
      const delay = await failKind(QUEUES_KINDS, "queues.send", call({ body: 1, delaySeconds: 86_401 }));
      expect(delay.code).toBe("NODE_INPUT_INVALID");
    });

    it("maps a refused send (a body that is not text, as text) to QUEUE_SEND_FAILED", async () => {
      const error = await failKind(
        QUEUES_KINDS,
        "queues.send",
        call({ body: { not: "text" }, contentType: "text" }),
      );
      expect(error.code).toBe("QUEUE_SEND_FAILED");
      expect(error.expose).toBe(false);
    });

    it("explains a missing binding: BINDING_MISSING with the queues.producers fix", async () => {
      for (const kind of ["queues.send", "queues.sendBatch"]) {
        const error = await failKind(QUEUES_KINDS, kind, {
          env: {},
          config,
          inputs: { body: 1, messages: [1] },
        });
        expect(error.code).toBe("BINDING_MISSING");
        expect(error.message).toBe(
          'binding `FLOW_QUEUE` is missing from env: add a queues.producers entry with binding = "FLOW_QUEUE" to wrangler.toml',
        );
      }
    });
  });
}
