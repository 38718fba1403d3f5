import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { DEV_VARS } from "./dev-vars.ts";

/** The files whose change rebuilds: flow files and `.dev.vars`. */
export const isWatchedFile = (name: string): boolean => /\.(ya?ml|json)$/.test(name) || name === DEV_VARS;

/** Directories never watched: hidden ones (`.flows`, `.wrangler`, `.git`) and `node_modules`. */
const skipped = (name: string): boolean => name.startsWith(".") || name === "node_modules";

export interface FlowWatcher {
  close(): void;
}

/**
 * Calls `onChange` (with the file's path) when a flow file or `.dev.vars` under `paths` is written, created,
 * renamed or removed. It watches directories, never files: an editor's "safe write" or `sed -i` replaces a file
 * by a rename, which ends a watch on the file itself (and Node's recursive watch on Linux watches files), while a
 * directory's watch sees every later change of the new file too. Directories created later are watched as they
 * appear. A file given by itself (a flow file, or a `.dev.vars` that may not exist yet) is watched through its
 * directory.
 */
export async function watchFlows(
  paths: readonly string[],
  onChange: (file: string) => void,
): Promise<FlowWatcher> {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const files = new Map<string, Set<string>>();
  const watchDir = async (dir: string): Promise<void> => {
    if (closed || watchers.has(dir)) return;
    const only = files.get(dir);
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name === null) return;
        const file = join(dir, name);
        if (only === undefined)
          void stat(file)
            .then((info) => (info.isDirectory() && !skipped(name) ? watchTree(file) : undefined))
            .catch(() => {});
        if (isWatchedFile(name) && (only === undefined || only.has(name) || name === DEV_VARS))
          onChange(file);
      });
    } catch {
      return; // gone meanwhile
    }
    watcher.on("error", () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
  };
  const watchTree = async (dir: string): Promise<void> => {
    await watchDir(dir);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries)
      if (entry.isDirectory() && !skipped(entry.name)) await watchTree(join(dir, entry.name));
  };
  for (const path of paths) {
    const full = resolve(path);
    // A file that does not exist yet (the project's `.dev.vars`) is watched through its directory too.
    const info = await stat(full).catch(() => undefined);
    if (info?.isDirectory()) await watchTree(full);
    else files.set(dirname(full), (files.get(dirname(full)) ?? new Set()).add(basename(full)));
  }
  for (const dir of files.keys()) await watchDir(dir);
  return {
    close: () => {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
