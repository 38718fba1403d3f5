import { describe, expect, it } from "vitest";
import type { Json, NodeDecl } from "../../../flows/ir/types.ts";
import { runFlow, startRun } from "../../executor.ts";
import type { NodeKind } from "../../kinds/types.ts";
import { ChunkStream, isHandedOff, pumpedChunkCount } from "../../stream.ts";
import { eventLog, planOf, ref } from "../helpers.ts";

/**
 * A platform byte stream with one reader is handed over untouched (kernel/hand-off.ts): no chunk goes through the
 * kernel's pump. With a second reader, a reference inside an expression, or a listener, the bounded ChunkStream.
 */

/** `test.bytes`: a byte stream of `count` chunks on `out`, declared as platform bytes; counts cancels. */
function bytesKind(count: number, probe: { cancelled: number; pulled: number }): NodeKind {
  return {
    spec: {
      kind: "test.bytes",
      description: "A byte stream of `count` chunks.",
      effect: "read",
      determinism: "stable",
      inputs: {},
      outputs: { out: { bytes: true } },
      configSchema: { type: "object" },
    },
    run: () => ({
      out: new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (probe.pulled === count) return controller.close();
            probe.pulled++;
            controller.enqueue(new Uint8Array([probe.pulled]));
          },
          cancel() {
            probe.cancelled++;
          },
        },
        { highWaterMark: 0 },
      ),
    }),
  };
}

const source: NodeDecl = { id: "get", kind: "test.bytes" };
const answer = (body: Json): NodeDecl => ({ id: "answer", kind: "respond", inputs: { body } });

async function bytesOf(stream: ReadableStream<unknown>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of stream as ReadableStream<Uint8Array>) out.push(...chunk);
  return out;
}

export function handOffSuite(): void {
  describe("streams handed to their one reader", () => {
    it("plans the hand-off only for a bytes port read once, as it is, by the host or a respond node only it reads", () => {
      const kinds = [bytesKind(0, { cancelled: 0, pulled: 0 })];
      const handOff = (nodes: NodeDecl[], extra = {}) =>
        planOf(nodes, kinds, extra).nodes.map((n) => [n.id, n.handOff]);
      expect(handOff([source, answer(ref("get"))])).toEqual([
        ["get", ["out"]],
        ["answer", []],
      ]);
      expect(handOff([source], { output: "get" })).toEqual([["get", ["out"]]]);
      // Another port of the same node read elsewhere does not count.
      const withHeader = {
        ...answer(ref("get")),
        inputs: { body: ref("get"), headers: { etag: ref("get", "etag") } },
      };
      expect(handOff([source, withHeader])[0]).toEqual(["get", ["out"]]);
      // The whole node is its ports: a second reader.
      expect(
        handOff([
          source,
          answer(ref("get")),
          { id: "log", kind: "log", inputs: { value: "${{ nodes.get }}" } },
        ])[0],
      ).toEqual(["get", []]);
      // Not the stream itself, a second reader, a respond node someone else reads, or one that may retry.
      expect(handOff([source, answer("x${{ nodes.get.out }}")])[0]).toEqual(["get", []]);
      const twice = [source, answer(ref("get")), { id: "log", kind: "log", inputs: { value: ref("get") } }];
      expect(handOff(twice)[0]).toEqual(["get", []]);
      const readAfter = [
        source,
        answer(ref("get")),
        { id: "then", kind: "transform", inputs: { v: ref("answer") } },
      ];
      expect(handOff(readAfter)[0]).toEqual(["get", []]);
      const retried = [source, { ...answer(ref("get")), retry: { attempts: 3 } }];
      expect(handOff(retried)[0]).toEqual(["get", []]);
      // A port that is not declared as bytes.
      expect(handOff([{ id: "t", kind: "transform", config: { value: 1 } }, answer(ref("t"))])[0]).toEqual([
        "t",
        [],
      ]);
    });

    it("hands the stream to the output's reader without pumping a chunk, and ends the node with its last byte", async () => {
      const probe = { cancelled: 0, pulled: 0 };
      const plan = planOf([source, answer(ref("get"))], [bytesKind(50, probe)]);
      const pumped = pumpedChunkCount();
      const handle = startRun(plan);
      const output = await handle.output;
      expect(isHandedOff(output.stream)).toBe(true);
      expect((output.value as { body: unknown }).body).toBe(output.stream);
      expect(await bytesOf(output.stream!)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const result = await handle.result;
      expect(result.status).toBe("ok");
      expect(result.timings.nodes.get?.status).toBe("ok");
      expect(pumpedChunkCount()).toBe(pumped);
    });

    it("pumps into a ChunkStream when two nodes read the stream, or someone listens to the run", async () => {
      const probe = { cancelled: 0, pulled: 0 };
      const kinds = [bytesKind(20, probe)];
      const pumped = pumpedChunkCount();
      const twice = planOf(
        [source, answer(ref("get")), { id: "log", kind: "log", inputs: { value: ref("get") } }],
        kinds,
      );
      const result = await runFlow(twice);
      expect(result.status).toBe("ok");
      expect((result.output as { body: unknown }).body).toBeInstanceOf(ChunkStream);
      expect(await bytesOf(result.stream!)).toHaveLength(20);
      expect(pumpedChunkCount() - pumped).toBe(20);

      probe.pulled = 0;
      const { events, onEvent } = eventLog();
      const listened = await runFlow(planOf([source, answer(ref("get"))], kinds), { onEvent });
      expect(await bytesOf(listened.stream!)).toHaveLength(20);
      expect(events.filter((e) => e.type === "node.chunk")).toHaveLength(20);
    });

    it("still hands it over to a listener that does without chunks (handOffWhenListened), which sees the node end", async () => {
      const probe = { cancelled: 0, pulled: 0 };
      const pumped = pumpedChunkCount();
      const { events, onEvent } = eventLog();
      const plan = planOf([source, answer(ref("get"))], [bytesKind(20, probe)]);
      const handle = startRun(plan, { onEvent, handOffWhenListened: true });
      const output = await handle.output;
      expect(isHandedOff(output.stream)).toBe(true);
      expect(await bytesOf(output.stream!)).toHaveLength(20);
      expect((await handle.result).status).toBe("ok");
      expect(pumpedChunkCount()).toBe(pumped);
      expect(events.filter((e) => e.type === "node.chunk")).toHaveLength(0);
      expect(
        events.filter((e) => e.type === "node.end").map((e) => (e as { nodeId: string }).nodeId),
      ).toContain("get");
    });

    it("cancels the source when the run is cancelled, and when the reader goes away", async () => {
      const probe = { cancelled: 0, pulled: 0 };
      const plan = planOf([source, answer(ref("get"))], [bytesKind(1_000_000, probe)]);
      const controller = new AbortController();
      const handle = startRun(plan, { signal: controller.signal });
      const reader = (await handle.output).stream!.getReader();
      await reader.read();
      controller.abort(new Error("client left"));
      const result = await handle.result;
      expect(result.status).toBe("cancelled");
      await expect(reader.read()).rejects.toBeDefined();
      expect(probe.cancelled).toBe(1);

      const second = { cancelled: 0, pulled: 0 };
      const gone = startRun(planOf([source, answer(ref("get"))], [bytesKind(1_000_000, second)]));
      const stream = (await gone.output).stream!;
      await stream.cancel(new Error("reader went away"));
      expect((await gone.result).status).not.toBe("ok");
      expect(second.cancelled).toBe(1);
      expect(second.pulled).toBeLessThan(1_000_000);
    });
  });
}
