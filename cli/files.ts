import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { looksLikeFlow } from "../flows/load/detect.ts";

/** A usage problem (missing path, nothing to do): exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const FLOW_EXTENSIONS = /\.(ya?ml|json)$/i;
export const SKIPPED_DIRS = new Set(["node_modules"]);

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) await walk(path, out);
    } else if (entry.isFile() && FLOW_EXTENSIONS.test(entry.name)) {
      out.push(path);
    }
  }
}

/**
 * Reads the flow files named on the command line: files as given, directories searched recursively for
 * `.yaml`, `.yml` and `.json` files with a top-level `flows:` key (skipping `node_modules` and dot-directories).
 * Throws UsageError for a missing path or, unless `allowEmpty`, when nothing is found.
 */
export async function readFlowFiles(
  paths: readonly string[],
  options: { allowEmpty?: boolean } = {},
): Promise<{ file: string; text: string }[]> {
  const sources: { file: string; text: string }[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`no such file or directory: ${path}`);
    if (info.isDirectory()) {
      const found: string[] = [];
      await walk(path, found);
      for (const file of found) {
        if (seen.has(file)) continue;
        const text = await readFile(file, "utf8");
        if (!looksLikeFlow(file, text)) continue;
        seen.add(file);
        sources.push({ file, text });
      }
    } else if (!seen.has(path)) {
      seen.add(path);
      sources.push({ file: path, text: await readFile(path, "utf8") });
    }
  }
  if (sources.length === 0 && !options.allowEmpty)
    throw new UsageError(`no flow files found in ${paths.join(", ")}`);
  return sources;
}
