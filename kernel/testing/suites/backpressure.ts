import { describe, expect, it } from "vitest";
import { FlowError } from "../../errors.ts";
import { startRun } from "../../executor.ts";
import type { NodeContext, NodeKind } from "../../kinds/types.ts";
import { streamOf } from "../../result.ts";
import { ChunkStream, pump } from "../../stream.ts";
import { node, planOf, probeKind, ref, wait } from "../helpers.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** A byte source of `total` bytes in `chunk`-byte pieces that counts what was pulled from it. */
function countingSource(total: number, chunk: number): ReadableStream<Uint8Array> & { produced: number } {
  let produced = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= total) {
          controller.close();
          return;
        }
        const size = Math.min(chunk, total - produced);
        produced += size;
        controller.enqueue(new Uint8Array(size).fill(produced & 0xff));
      },
    },
    { highWaterMark: 0 },
  );
  return Object.defineProperty(stream, "produced", { get: () => produced }) as ReadableStream<Uint8Array> & {
    produced: number;
  };
}

/** Reads every chunk, pausing every `every` chunks, and reports the most the producer was ever ahead. */
async function readSlowly(
  stream: ReadableStream<unknown> | AsyncIterable<unknown>,
  source: { produced: number },
  every = 8,
): Promise<{ bytes: number; maxAhead: number }> {
  let bytes = 0;
  let maxAhead = 0;
  let n = 0;
  const iterable =
    stream instanceof ReadableStream ? streamIterable(stream as ReadableStream<Uint8Array>) : stream;
  for await (const chunk of iterable) {
    bytes += (chunk as Uint8Array).byteLength;
    maxAhead = Math.max(maxAhead, source.produced - bytes);
    if (++n % every === 0) await wait(1);
  }
  return { bytes, maxAhead };
}

async function* streamIterable<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  for (;;) {
    const step = await reader.read();
    if (step.done) return;
    yield step.value;
  }
}

/** A kind whose `out` is a counting byte source (`source` is the last one made). */
function bigSource(total: number, chunk: number): NodeKind & { source?: { produced: number } } {
  const kind: NodeKind & { source?: { produced: number } } = {
    spec: { ...probeKind("big").spec, kind: "big" },
    run(_ctx: NodeContext) {
      const source = countingSource(total, chunk);
      kind.source = source;
      return { out: source };
    },
  };
  return kind;
}

/**
 * Bounded streams: a ChunkStream keeps at most its replay window once readers are active, the producer waits for
 * the slowest reader, and a reader that comes too late fails with a code instead of missing chunks.
 */
export function backpressureSuite(): void {
  describe("stream backpressure", () => {
    it("keeps a small stream whole for readers that start after it ended", async () => {
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 4 * KIB });
      await pump(countingSource(3 * KIB, KIB), stream, new AbortController().signal, () => {});
      expect(stream.truncated).toBe(false);
      expect((await stream.collect()).length).toBe(3);
      expect((await stream.collect()).length).toBe(3);
    });

    it("with no reader, keeps everything and never makes the producer wait", async () => {
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 4 * KIB });
      await pump(countingSource(64 * KIB, KIB), stream, new AbortController().signal, () => {});
      expect(stream.count).toBe(64);
      expect(stream.bufferedBytes).toBe(64 * KIB);
      expect((await stream.collect()).length).toBe(64);
    });

    it("holds at most its window while a slow reader reads 8 MiB, and the producer waits for it", async () => {
      const source = countingSource(8 * MIB, 64 * KIB);
      const stream = new ChunkStream<Uint8Array>();
      const reading = readSlowly(stream.toReadableStream(), source);
      let maxBuffered = 0;
      await pump(source, stream, new AbortController().signal, () => {
        maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
      });
      const { bytes, maxAhead } = await reading;
      expect(bytes).toBe(8 * MIB);
      // The window (1 MiB) plus the chunk that pushed it over.
      expect(maxBuffered).toBeLessThanOrEqual(MIB + 64 * KIB);
      expect(maxAhead).toBeLessThanOrEqual(MIB + 64 * KIB);
      expect(stream.truncated).toBe(true);
    });

    it("stays bounded with 100,000 one-character chunks, and the reader gets them all in order", async () => {
      const stream = new ChunkStream<string>({ replayBytes: 1024 });
      let n = 0;
      const source = new ReadableStream<string>(
        { pull: (c) => (n < 100_000 ? c.enqueue(String(n++ % 10)) : c.close()) },
        { highWaterMark: 0 },
      );
      const reading = (async () => {
        let text = "";
        let maxBuffered = 0;
        for await (const chunk of stream) {
          text += chunk;
          maxBuffered = Math.max(maxBuffered, stream.bufferedBytes);
        }
        return { text, maxBuffered };
      })();
      await pump(source, stream, new AbortController().signal, () => {});
      const { text, maxBuffered } = await reading;
      expect(text.length).toBe(100_000);
      expect(text.slice(0, 12)).toBe("012345678901");
      expect(maxBuffered).toBeLessThanOrEqual(1025);
      expect(stream.count).toBe(100_000);
    });

    it("waits for the slowest of two readers, and both read every byte", async () => {
      const source = countingSource(4 * MIB, 32 * KIB);
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 256 * KIB });
      const fast = readSlowly(stream.toReadableStream(), source, 1_000_000);
      const slow = readSlowly(stream.toReadableStream(), source, 2);
      await pump(source, stream, new AbortController().signal, () => {});
      const [a, b] = await Promise.all([fast, slow]);
      expect([a.bytes, b.bytes]).toEqual([4 * MIB, 4 * MIB]);
      expect(b.maxAhead).toBeLessThanOrEqual(256 * KIB + 32 * KIB);
    });

    it("fails a reader that starts after chunks were dropped with STREAM_REPLAY_EXCEEDED", async () => {
      const source = countingSource(64 * KIB, KIB);
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 4 * KIB, label: "nodes.get.out" });
      const first = stream.collect();
      await pump(source, stream, new AbortController().signal, () => {});
      expect((await first).length).toBe(64);
      const late = stream.collect();
      await expect(late).rejects.toBeInstanceOf(FlowError);
      await expect(stream.collect()).rejects.toMatchObject({
        code: "STREAM_REPLAY_EXCEEDED",
        message: expect.stringContaining("nodes.get.out was read from the start"),
      });
    });

    it("lets the producer go on when the only reader cancels", async () => {
      const source = countingSource(2 * MIB, 64 * KIB);
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 128 * KIB });
      const reader = stream.toReadableStream().getReader();
      const pumping = pump(source, stream, new AbortController().signal, () => {});
      await reader.read();
      await wait(5);
      expect(source.produced).toBeLessThan(2 * MIB);
      await reader.cancel();
      await pumping;
      expect(source.produced).toBe(2 * MIB);
    });

    it("rejects a producer waiting for readers when its signal aborts, and cancels the source", async () => {
      let cancelled: unknown;
      const source = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(new Uint8Array(64 * KIB)),
        cancel: (reason) => {
          cancelled = reason;
        },
      });
      const stream = new ChunkStream<Uint8Array>({ replayBytes: 128 * KIB });
      const reader = stream.toReadableStream().getReader();
      const controller = new AbortController();
      const pumping = pump(source, stream, controller.signal, () => {});
      await wait(5);
      const reason = new Error("client went away");
      controller.abort(reason);
      await expect(pumping).rejects.toBe(reason);
      expect(cancelled).toBe(reason);
      await reader.cancel();
    });

    it("a run answers with its output as soon as it exists, and a slow reader bounds what the kernel holds", async () => {
      const big = bigSource(6 * MIB, 64 * KIB);
      const plan = planOf(
        [node("get", "big"), node("reply", "respond", { inputs: { body: ref("get") } })],
        [big],
      );
      let answered: Promise<{ bytes: number; maxAhead: number }> | undefined;
      let endedBeforeOutput = true;
      const run = startRun(plan);
      void run.output.then(({ value, stream }) => {
        endedBeforeOutput = false;
        expect(streamOf(value)).toBeInstanceOf(ChunkStream);
        answered = readSlowly(stream!, big.source!);
      });
      const result = await run.result;
      expect(endedBeforeOutput).toBe(false);
      expect(result.status).toBe("ok");
      const { bytes, maxAhead } = await answered!;
      expect(bytes).toBe(6 * MIB);
      expect(maxAhead).toBeLessThanOrEqual(MIB + 64 * KIB);
    });
  });
}
