import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { importPeer, peerDir } from "../../hosts/node/peers.ts";
import { BUNDLE_FILE, CONFIG_FILE } from "./config.ts";

const PURPOSE = "flows dev";

/** The project's wrangler (the user's own first; a one-line PeerMissingError when it is not installed). */
export const importWrangler = (): Promise<typeof import("wrangler")> =>
  importPeer<typeof import("wrangler")>("wrangler", PURPOSE);

/** The Miniflare that the project's wrangler depends on (the one `wrangler dev` would run). */
export async function importMiniflare(): Promise<typeof import("miniflare")> {
  const entry = createRequire(join(peerDir("wrangler", PURPOSE), "package.json")).resolve("miniflare");
  return (await import(pathToFileURL(entry).href)) as typeof import("miniflare");
}

/** What Miniflare needs to serve a packaged Worker, read from its generated config by wrangler. */
export interface DevWorker {
  /** Miniflare worker options (v4 shape): bindings, KV, R2, queues, Durable Objects, the bundle. */
  options: Record<string, unknown>;
  /** The cron schedules of the config (`triggers.crons`). */
  crons: string[];
}

/**
 * The Miniflare options of the packaged Worker in `out`, made by wrangler's own reader of `wrangler.jsonc` and of
 * the `.dev.vars` beside it, as `wrangler dev` makes them, with one difference: every `.dev.vars` key is bound.
 * With `secrets.required` in the config, `wrangler dev` binds only the keys listed there and drops the rest
 * (`GITHUB_WEBHOOK_SECRET_PREVIOUS`, `GITHUB_API_URL`); a deployed Worker keeps every secret set with
 * `wrangler secret put`, listed or not (`wrangler deploy` uploads with `keep_bindings` of secrets; the list only
 * adds `inherit` bindings for the names it requires), so the local Worker should see them all too.
 */
export async function devWorker(out: string): Promise<DevWorker> {
  const wrangler = await importWrangler();
  // Wrangler's logger would print "Using secrets defined in ..." on stdout at every rebuild: warnings only.
  const level = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "warn";
  let config: ReturnType<typeof wrangler.unstable_readConfig>;
  let workerOptions: unknown;
  try {
    config = wrangler.unstable_readConfig({ config: join(out, CONFIG_FILE) });
    ({ workerOptions } = wrangler.unstable_getMiniflareWorkerOptions({
      ...config,
      secrets: undefined,
    } as typeof config));
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = level;
  }
  // The packager's bundle is one ES module (no_bundle): module rules do not apply, and Miniflare 5's converter
  // refuses them.
  const { modulesRules: _rules, ...options } = workerOptions as Record<string, unknown>;
  return {
    options: { ...options, name: config.name, modules: true, scriptPath: join(out, BUNDLE_FILE) },
    crons: [...(config.triggers?.crons ?? [])],
  };
}

/** The local URL that fires a cron schedule on `flows dev` (Miniflare's trigger route; `cron` is required). */
export const scheduledUrl = (base: string, cron: string): string =>
  `${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron).replace(/%20/g, "+")}`;
