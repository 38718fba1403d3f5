import { describe, expect, it } from "vitest";
import type { NodeChunkEvent } from "../../events.ts";
import { runFlow, startRun } from "../../executor.ts";
import type { NodeContext, NodeKind } from "../../kinds/types.ts";
import { ChunkStream } from "../../stream.ts";
import { eventLog, eventProblems, eventsOf, memoryLogger, node, planOf, probeKind, ref } from "../helpers.ts";

/** A kind whose `out` is an async generator of `count` chunks, `gapMs` apart, honouring the signal. */
function ticker(count: number, gapMs: number): NodeKind & { produced: number } {
  const kind = {
    produced: 0,
    spec: { ...probeKind("ticker").spec, kind: "ticker" },
    run(ctx: NodeContext) {
      async function* ticks(): AsyncGenerator<string> {
        for (let i = 0; i < count; i++) {
          if (i > 0) await ctx.sleep(gapMs);
          kind.produced++;
          yield `tick ${i}`;
        }
      }
      return ticks();
    },
  };
  return kind;
}

/** A kind that consumes the stream on its input `stream`, recording when each chunk arrived. */
function consumer(): NodeKind & { seen: { chunk: unknown; at: number }[]; startedAt: number } {
  const kind = {
    seen: [] as { chunk: unknown; at: number }[],
    startedAt: 0,
    spec: { ...probeKind("consumer").spec, kind: "consumer" },
    async run(ctx: NodeContext) {
      kind.startedAt = performance.now();
      for await (const chunk of ctx.inputs.stream as AsyncIterable<unknown>)
        kind.seen.push({ chunk, at: performance.now() });
      return { out: kind.seen.length };
    },
  };
  return kind;
}

/** Streaming outputs: chunk events, downstream consumption as chunks come, stream results. */
export function streamingSuite(): void {
  describe("streaming", () => {
    it("forwards an async iterable chunk by chunk to events, downstream nodes and the result", async () => {
      const source = ticker(3, 15);
      const sink = consumer();
      const log = eventLog();
      const plan = planOf(
        [
          node("ticks", "ticker"),
          node("count", "consumer", { inputs: { stream: ref("ticks") } }),
          node("reply", "respond", { inputs: { body: ref("ticks") } }),
        ],
        [source, sink],
      );
      const result = await runFlow(plan, { onEvent: log.onEvent });
      expect(result.status).toBe("ok");
      const chunks = eventsOf(log.events, "node.chunk") as NodeChunkEvent[];
      expect(chunks.map((c) => [c.nodeId, c.port, c.index, c.chunk])).toEqual([
        ["ticks", "out", 0, "tick 0"],
        ["ticks", "out", 1, "tick 1"],
        ["ticks", "out", 2, "tick 2"],
      ]);
      // The consumer started before the stream ended and saw the chunks as they came.
      expect(sink.seen.map((s) => s.chunk)).toEqual(["tick 0", "tick 1", "tick 2"]);
      expect(sink.seen[2]!.at - sink.seen[0]!.at).toBeGreaterThanOrEqual(20);
      const output = eventsOf(log.events, "node.output", "ticks")[0]!;
      const end = eventsOf(log.events, "node.end", "ticks")[0]!;
      const consumerStart = eventsOf(log.events, "node.start", "count")[0]!;
      expect(consumerStart.seq).toBeGreaterThan(output.seq);
      expect(consumerStart.seq).toBeLessThan(end.seq);
      expect(result.output).toMatchObject({ status: 200 });
      expect((result.output as { body: unknown }).body).toBeInstanceOf(ChunkStream);
      const read: unknown[] = [];
      for await (const chunk of result.stream!) read.push(chunk);
      expect(read).toEqual(["tick 0", "tick 1", "tick 2"]);
      expect(JSON.parse(JSON.stringify(output))).toMatchObject({ outputs: { out: { stream: true } } });
      expect(eventProblems(log.events)).toEqual([]);
    });

    it("accepts a ReadableStream", async () => {
      const kind: NodeKind = {
        spec: { ...probeKind("bytes").spec, kind: "bytes" },
        run: () => new Blob(["hello ", "world"]).stream(),
      };
      const result = await runFlow(planOf([node("b", "bytes")], [kind], { output: "b" }));
      const parts = await (result.output as ChunkStream<Uint8Array>).collect();
      expect(new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])))).toBe("hello world");
    });

    it("gives a host the output stream before the run ends", async () => {
      const plan = planOf([node("ticks", "ticker")], [ticker(3, 20)], { output: "ticks" });
      const run = startRun(plan);
      const { stream } = await run.output;
      const reader = stream!.getReader();
      expect(await reader.read()).toEqual({ done: false, value: "tick 0" });
      let ended = false;
      void run.result.then(() => {
        ended = true;
      });
      await Promise.resolve();
      expect(ended).toBe(false);
      expect((await run.result).status).toBe("ok");
    });

    it("sends progress chunks from ctx.emit as node.chunk events without a port", async () => {
      const kind: NodeKind = {
        spec: { ...probeKind("progress").spec, kind: "progress" },
        run: (ctx) => {
          ctx.emit({ done: 1 });
          ctx.emit({ done: 2 });
          return { out: "finished" };
        },
      };
      const log = eventLog();
      await runFlow(planOf([node("p", "progress")], [kind]), { onEvent: log.onEvent });
      expect(
        eventsOf(log.events, "node.chunk").map((e) => [
          (e as NodeChunkEvent).port,
          (e as NodeChunkEvent).chunk,
        ]),
      ).toEqual([
        [null, { done: 1 }],
        [null, { done: 2 }],
      ]);
      expect(eventProblems(log.events)).toEqual([]);
    });

    it("fails a stream that outlives its node's timeout and stops producing it", async () => {
      const source = ticker(100, 10);
      const log = eventLog();
      const plan = planOf([node("ticks", "ticker", { timeout: "35ms" })], [source]);
      const result = await runFlow(plan, { onEvent: log.onEvent, logger: memoryLogger() });
      expect(result.status).toBe("failed");
      expect(result.error?.code).toBe("NODE_TIMEOUT");
      const produced = source.produced;
      expect(produced).toBeLessThan(10);
      await new Promise((r) => setTimeout(r, 30));
      expect(source.produced).toBe(produced);
      expect(eventProblems(log.events)).toEqual([]);
    });

    it("stops a stream when the run is cancelled", async () => {
      const source = ticker(100, 10);
      const run = startRun(planOf([node("ticks", "ticker")], [source]), { logger: memoryLogger() });
      setTimeout(() => run.cancel(), 25);
      const result = await run.result;
      expect(result.status).toBe("cancelled");
      expect(source.produced).toBeLessThan(10);
    });
  });
}
