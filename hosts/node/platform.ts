import type { Bindings } from "../workers/index.ts";
import { importPeer } from "./peers.ts";

export interface LocalBindings {
  /** The real local bindings (KV, R2, Queues, Durable Objects, vars) of a wrangler config, backed by workerd. */
  readonly env: Bindings;
  dispose(): Promise<void>;
}

/**
 * The bindings of a wrangler config as local, workerd-backed implementations, for running flows in Node
 * (`flows run`, the Node host). Data persists under `.wrangler/state` like `wrangler dev`, unless
 * `persist: false`.
 * @example const { env, dispose } = await localBindings("wrangler.toml"); serveOnNode(worker, { env })
 */
export async function localBindings(
  configPath: string,
  persist: boolean | { path: string } = true,
): Promise<LocalBindings> {
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const { getPlatformProxy } = await importPeer<typeof import("wrangler")>(
    "wrangler",
    "local bindings (KV, R2, Queues, Durable Objects)",
  );
  const proxy = await getPlatformProxy<Bindings>({ configPath, persist, remoteBindings: false });
  return { env: proxy.env, dispose: () => proxy.dispose() };
}
