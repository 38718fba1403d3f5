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
 * scope), at most `config.concurrency` (default 6) at a time; `out` is the list of results, in order.
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
    const results: unknown[] = new Array(items.length);
    const controller = new AbortController();
    const parent = ctx.signal;
    const onAbort = (): void => controller.abort(parent.reason);
    if (parent.aborted) onAbort();
    else parent.addEventListener("abort", onAbort, { once: true });
    try {
      await forEachLimited(items.length, limit, controller, async (index) => {
        results[index] = await ctx.runTemplate(items[index], index, { signal: controller.signal });
      });
    } finally {
      parent.removeEventListener("abort", onAbort);
    }
    return { out: results };
  },
};

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
