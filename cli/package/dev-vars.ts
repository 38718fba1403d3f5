import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Wrangler's file of local secrets and vars; `flows dev` copies the ones beside the flows next to the config. */
export const DEV_VARS = ".dev.vars";

/**
 * The `.dev.vars` files of a `flows dev`: the project's own (in `projectDir`, where `wrangler dev` and
 * `.wrangler/state` are: the working directory), in each directory given, and in each directory holding a flow
 * file (so that `flows dev examples` reads `examples/<app>/.dev.vars`). Outer directories first, so that a file
 * nearer the flows wins on a duplicate name (the last value is kept).
 */
export async function devVarsFiles(
  paths: readonly string[],
  flowFiles: readonly string[],
  projectDir: string = process.cwd(),
): Promise<string[]> {
  const dirs = new Set<string>([resolve(projectDir)]);
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    dirs.add(resolve(info?.isDirectory() ? path : dirname(path)));
  }
  for (const file of flowFiles) dirs.add(resolve(dirname(file)));
  return [...dirs]
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
    .map((dir) => join(dir, DEV_VARS))
    .filter((file) => existsSync(file));
}

/** The last value a `.dev.vars` text (dotenv syntax, quoted or not) gives `name`, if any. */
export function devVarsValue(text: string, name: string): string | undefined {
  const pattern = new RegExp(`^\\s*${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s#]*))`, "gm");
  let value: string | undefined;
  for (const m of text.matchAll(pattern)) value = m[1] ?? m[2] ?? m[3];
  return value || undefined;
}
