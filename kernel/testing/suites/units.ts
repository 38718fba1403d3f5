import { describe, expect, it } from "vitest";
import { compileValue } from "../../../flows/expr/index.ts";
import { MemoTable, stableKey } from "../../memo.ts";
import { withDirectPath } from "../../paths.ts";
import { NO_RETRY, resolveRetry, retryDelay } from "../../retry.ts";
import { ChunkStream, isStreamLike, pump } from "../../stream.ts";
import { abortable, formatDuration, parseDuration, sleep } from "../../time.ts";

/** Small modules: time, retry arithmetic, streams, memo keys, direct paths. */
export function unitsSuite(): void {
  describe("time", () => {
    it("parses and formats durations", () => {
      expect(["250ms", "5s", "2m", "1h", "5", "1w", "-1s"].map(parseDuration)).toEqual([
        250,
        5_000,
        120_000,
        3_600_000,
        undefined,
        undefined,
        undefined,
      ]);
      expect([500, 1_500, 90_000].map(formatDuration)).toEqual(["500ms", "1.5s", "1.5m"]);
    });

    it("sleeps, and rejects with the signal's reason as soon as it aborts, removing its listener either way", async () => {
      const removed: string[] = [];
      const controller = new AbortController();
      const signal = controller.signal;
      const original = signal.removeEventListener.bind(signal);
      signal.removeEventListener = ((type: string, listener: EventListener) => {
        removed.push(type);
        original(type, listener);
      }) as typeof signal.removeEventListener;
      await sleep(1, signal);
      expect(removed).toEqual(["abort"]);
      const pending = sleep(10_000, signal);
      const reason = new Error("stop");
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await expect(sleep(1, AbortSignal.abort(reason))).rejects.toBe(reason);
    });

    it("abortable: the wait's value or error, or the signal's reason as soon as it aborts (also for a wait failing after it)", async () => {
      const controller = new AbortController();
      expect(await abortable(controller.signal, Promise.resolve(7))).toBe(7);
      const failure = new Error("put failed");
      await expect(abortable(controller.signal, Promise.reject(failure))).rejects.toBe(failure);
      let fail: (error: unknown) => void = () => {};
      const pending = abortable(controller.signal, new Promise((_, reject) => (fail = reject)));
      const reason = new Error("timed out");
      controller.abort(reason);
      fail(new Error("the feed was cancelled"));
      await expect(pending).rejects.toBe(reason);
      await expect(abortable(AbortSignal.abort(reason), new Promise(() => {}))).rejects.toBe(reason);
    });

    it("clears its timer when aborted", async () => {
      const cleared: unknown[] = [];
      const timers = {
        setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
        clearTimeout: (h: unknown) => cleared.push(h),
      };
      const controller = new AbortController();
      const pending = sleep(10_000, controller.signal, timers);
      controller.abort();
      await expect(pending).rejects.toBeDefined();
      expect(cleared).toHaveLength(1);
      clearTimeout(cleared[0] as number);
    });
  });

  describe("retry arithmetic", () => {
    it("computes constant, linear and exponential backoff with a cap", () => {
      const policy = { ...resolveRetry({ attempts: 9, delay: "100ms", maxDelay: "1s" }, "pure", false) };
      const delays = (backoff: "constant" | "linear" | "exponential") =>
        [1, 2, 3, 4, 5].map((n) => retryDelay({ ...policy, backoff }, n, new Error(), Math.random));
      expect(delays("constant")).toEqual([100, 100, 100, 100, 100]);
      expect(delays("linear")).toEqual([100, 200, 300, 400, 500]);
      expect(delays("exponential")).toEqual([100, 200, 400, 800, 1_000]);
    });

    it("needs more than one attempt to retry at all", () => {
      expect(resolveRetry(undefined, "pure", false)).toBe(NO_RETRY);
      expect(resolveRetry({ attempts: 1 }, "pure", false)).toBe(NO_RETRY);
    });
  });

  describe("ChunkStream", () => {
    it("lets several readers read every chunk from the start, as chunks come", async () => {
      const stream = new ChunkStream<number>();
      stream.push(1);
      const early = stream.collect();
      stream.push(2);
      const late = stream.collect();
      stream.close();
      expect(await early).toEqual([1, 2]);
      expect(await late).toEqual([1, 2]);
      expect(await stream.collect()).toEqual([1, 2]);
      expect(JSON.stringify(stream)).toBe('{"stream":true,"chunks":2,"closed":true}');
    });

    it("rethrows its source's failure to readers", async () => {
      const stream = new ChunkStream<number>();
      stream.push(1);
      stream.fail(new Error("source broke"));
      await expect(stream.collect()).rejects.toThrowError("source broke");
    });

    it("tells streams from other values", () => {
      expect(isStreamLike(new ReadableStream())).toBe(true);
      expect(isStreamLike((async function* () {})())).toBe(true);
      expect([isStreamLike("text"), isStreamLike([1]), isStreamLike(null), isStreamLike({})]).toEqual([
        false,
        false,
        false,
        false,
      ]);
    });

    it("stops pumping and cancels the source when the signal aborts", async () => {
      let cancelled: unknown;
      const source = new ReadableStream({
        pull: () => new Promise(() => {}),
        cancel: (reason) => {
          cancelled = reason;
        },
      });
      const controller = new AbortController();
      const target = new ChunkStream();
      const pumping = pump(source, target, controller.signal, () => {});
      const reason = new Error("timeout");
      controller.abort(reason);
      await expect(pumping).rejects.toBe(reason);
      expect(cancelled).toBe(reason);
      expect(target.closed).toBe(true);
    });
  });

  describe("memo keys", () => {
    it("are equal for equal JSON values whatever the key order, and absent for streams", () => {
      expect(stableKey({ b: 1, a: [1, { d: 2, c: null }] })).toBe(
        stableKey({ a: [1, { c: null, d: 2 }], b: 1 }),
      );
      expect(stableKey({ a: 1 })).not.toBe(stableKey({ a: "1" }));
      expect(stableKey({ s: new ChunkStream() })).toBeUndefined();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(stableKey(cyclic)).toBeUndefined();
    });

    it("key a scope only from its second call, and then share the first call's execution", async () => {
      const memo = new MemoTable();
      let runs = 0;
      const work = () => Promise.resolve(++runs);
      // A value stableKey cannot key is fine on a first call: nothing is keyed yet.
      expect(await memo.runFirstUnkeyed("s", { a: 1, b: [2] }, work)).toBe(1);
      expect(await memo.runFirstUnkeyed("s", { b: [2], a: 1 }, work)).toBe(1);
      expect(await memo.runFirstUnkeyed("s", { a: 2 }, work)).toBe(2);
      expect(await memo.runFirstUnkeyed("other", { a: 1, b: [2] }, work)).toBe(3);
      const failing = new MemoTable();
      await expect(failing.runFirstUnkeyed("f", 1, () => Promise.reject(new Error("x")))).rejects.toThrow();
      expect(await failing.runFirstUnkeyed("f", 1, work)).toBe(4);
    });

    it("share one execution between equal concurrent calls and forget failures", async () => {
      const memo = new MemoTable();
      let runs = 0;
      const work = () => Promise.resolve(++runs);
      expect(await Promise.all([memo.run("k", work), memo.run("k", work)])).toEqual([1, 1]);
      await expect(memo.run("bad", () => Promise.reject(new Error("x")))).rejects.toThrow();
      await Promise.resolve();
      expect(await memo.run("bad", work)).toBe(2);
    });
  });

  describe("direct paths", () => {
    const direct = (text: string) => withDirectPath(text, compileValue(text).value);

    it("read plain references without CEL, with CEL's values and errors", () => {
      const stream = new ChunkStream();
      const scope = { nodes: { a: { out: stream, n: null } }, trigger: { list: [1] } };
      expect(direct("${{ nodes.a.out }}").evaluate(scope)).toBe(stream);
      expect(direct("${{ nodes.a.n }}").evaluate(scope)).toBeNull();
      expect(() => direct("${{ nodes.a.missing }}").evaluate(scope)).toThrowError("No such key: missing");
      expect(() => direct("${{ trigger.list.length }}").evaluate(scope)).toThrowError("No such key: length");
      expect(() => direct("${{ trigger.constructor }}").evaluate(scope)).toThrowError(
        "No such key: constructor",
      );
      expect(() => direct("${{ vars }}").evaluate(scope)).toThrowError("Unknown variable: vars");
    });

    it("leave other expressions to CEL", () => {
      const text = "${{ nodes.a.out + 1 }}";
      const compiled = compileValue(text).value;
      expect(withDirectPath(text, compiled)).toBe(compiled);
      expect(
        withDirectPath(" ${{ nodes.a.out }}", compileValue(" ${{ nodes.a.out }}").value).evaluate({
          nodes: { a: { out: 1 } },
        }),
      ).toBe(" 1");
    });
  });
}
