import { NonRetriableError } from "../errors.ts";
import { BUILTIN_KIND_SPECS, KIND_MAP } from "./specs.ts";
import type { NodeContext, NodeKind } from "./types.ts";

/**
 * Default `concurrency` of `map`: a Worker keeps at most 6 connections open at once, so more parallel
 * fetches would only queue.
 */
export const DEFAULT_MAP_CONCURRENCY = 6;

/**
 * Runs `work` for every index, at most `limit` at a time, in index order of starting. On the first failure,
 * no further item starts, the running ones are aborted through `controller`, and once they have settled
 * the first error is thrown.
 */
export async function forEachLimited(
  count: number,
  limit: number,
  controller: AbortController,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && !firstError && !controller.signal.aborted) {
      const index = next++;
      try {
        await work(index);
      } catch (error) {
        firstError ??= { error };
        controller.abort(error);
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, count) }, worker);
  await Promise.all(workers);
  if (firstError) throw firstError.error;
  if (controller.signal.aborted) throw controller.signal.reason;
}

/**
 * `map`: runs the node template `config.node` once per element of input `items` (with `item` and `index` in
 * scope), at most `config.concurrency` (default 6) at a time; `out` is the list of results, in order, or with
 * `config.stream: true` a stream of them (each result a chunk, in order, as soon as it is ready).
 */
export const mapKind: NodeKind = {
  spec: BUILTIN_KIND_SPECS[KIND_MAP]!,
  template: "node",
  run: async (ctx: NodeContext) => {
    const items = ctx.inputs.items;
    if (!Array.isArray(items)) {
      throw new NonRetriableError(
        `node \`${ctx.nodeId}\`: input \`items\` must be a list, got ${typeOf(items)}`,
        {
          code: "NODE_INPUT_INVALID",
          expose: true,
          details: { nodeId: ctx.nodeId, input: "items" },
        },
      );
    }
    const limit =
      typeof ctx.config.concurrency === "number" ? ctx.config.concurrency : DEFAULT_MAP_CONCURRENCY;
    const controller = new AbortController();
    const parent = ctx.signal;
    const onAbort = (): void => controller.abort(parent.reason);
    if (parent.aborted) onAbort();
    else parent.addEventListener("abort", onAbort, { once: true });
    const release = (): void => parent.removeEventListener("abort", onAbort);
    const runItem = (index: number): Promise<unknown> =>
      ctx.runTemplate(items[index], index, { signal: controller.signal });
    if (ctx.config.stream === true) return streamInOrder(items.length, limit, controller, runItem, release);
    const results: unknown[] = new Array(items.length);
    try {
      await forEachLimited(items.length, limit, controller, async (index) => {
        results[index] = await runItem(index);
      });
    } finally {
      release();
    }
    return { out: results };
  },
};

/**
 * The results as a stream, in item order, each sent as soon as it and every earlier one are done (items still
 * run `limit` at a time). A consumer that stops reading aborts the items still running.
 */
async function* streamInOrder(
  count: number,
  limit: number,
  controller: AbortController,
  runItem: (index: number) => Promise<unknown>,
  release: () => void,
): AsyncGenerator<unknown> {
  const settle: { resolve(value: unknown): void; reject(error: unknown): void }[] = [];
  const results = Array.from(
    { length: count },
    (_, i) =>
      new Promise<unknown>((resolve, reject) => {
        settle[i] = { resolve, reject };
      }),
  );
  // Items after a failure are never awaited: keep their rejections from being reported as unhandled.
  for (const result of results) result.catch(() => {});
  const all = forEachLimited(count, limit, controller, async (index) => {
    settle[index]!.resolve(await runItem(index));
  }).catch((error: unknown) => {
    for (const s of settle) s.reject(error);
  });
  try {
    for (const result of results) yield await result;
    await all;
  } finally {
    if (!controller.signal.aborted) controller.abort(new Error("stream closed by its consumer"));
    release();
  }
}

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
