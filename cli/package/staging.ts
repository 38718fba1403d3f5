import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** A folder inside `out` where a package is written before it is moved into place. */
export interface Staging {
  readonly dir: string;
  /** Moves `files` (names inside `dir`) into `out`, replacing older ones, and removes the staging folder. */
  commit(files: readonly string[]): Promise<void>;
  /** Removes the staging folder, and `out` too when this staging created it and it is empty. */
  discard(): Promise<void>;
}

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Creates `out` when missing and a fresh staging folder inside it (same file system, so moving is a rename).
 * @example const s = await stage("dist"); await writeFile(join(s.dir, "a.js"), text); await s.commit(["a.js"]);
 */
export async function stage(out: string): Promise<Staging> {
  const created = !(await exists(out));
  await mkdir(out, { recursive: true });
  const dir = await mkdtemp(join(out, ".flows-package-"));
  return {
    dir,
    commit: async (files) => {
      for (const file of files) await rename(join(dir, file), join(out, file));
      await rm(dir, { recursive: true, force: true });
    },
    discard: async () => {
      await rm(dir, { recursive: true, force: true });
      if (created && (await readdir(out).catch(() => ["?"])).length === 0) await rmdir(out).catch(() => {});
    },
  };
}
