import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Optional peer dependencies (wrangler): resolved from the user's project first, then beside this package, so the
 * user's own version wins; a missing one is one clear line saying what to install.
 */

/** A peer dependency that is not installed. */
export class PeerMissingError extends Error {
  override name = "PeerMissingError";
  readonly code = "PEER_MISSING";
  readonly peer: string;

  constructor(peer: string, purpose: string) {
    super(`${purpose} needs ${peer}, which is not installed here: run \`npm install --save-dev ${peer}\``);
    this.peer = peer;
  }
}

/** The folder of an installed package, or undefined. */
function packageDir(name: string, from: readonly string[]): string | undefined {
  for (const dir of from) {
    try {
      return dirname(createRequire(join(dir, "noop.js")).resolve(`${name}/package.json`));
    } catch {
      // not resolvable from this folder: try the next
    }
  }
  return undefined;
}

const SEARCH = (): string[] => [process.cwd(), import.meta.dirname];

/**
 * The folder of an installed peer (`wrangler` → `.../node_modules/wrangler`).
 * @example createRequire(join(peerDir("wrangler", "flows dev"), "package.json")).resolve("miniflare")
 */
export function peerDir(name: string, purpose: string): string {
  const dir = packageDir(name, SEARCH());
  if (!dir) throw new PeerMissingError(name, purpose);
  return dir;
}

/**
 * The path of a peer's bin script (`wrangler` → `.../wrangler/bin/wrangler.js`).
 * @example spawn(process.execPath, [peerBin("wrangler", "flows dev"), "dev"])
 */
export function peerBin(name: string, purpose: string, bin = name): string {
  const dir = peerDir(name, purpose);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    bin?: string | Record<string, string>;
  };
  const path = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.[bin];
  if (!path || !existsSync(join(dir, path))) throw new PeerMissingError(name, purpose);
  return join(dir, path);
}

/**
 * Imports a peer's main module.
 * @example const { getPlatformProxy } = await importPeer<typeof import("wrangler")>("wrangler", "local bindings")
 */
export async function importPeer<T>(name: string, purpose: string): Promise<T> {
  for (const dir of SEARCH()) {
    let entry: string;
    try {
      entry = createRequire(join(dir, "noop.js")).resolve(name);
    } catch {
      continue;
    }
    return (await import(pathToFileURL(entry).href)) as T;
  }
  throw new PeerMissingError(name, purpose);
}
