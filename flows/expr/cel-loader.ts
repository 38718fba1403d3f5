import type * as CelModule from "./cel.ts";

/**
 * Where the CEL library comes from: `./cel.ts`, loaded once, either by `await loadCel()` (the Workers host does so
 * before its first run, so a Worker's import never evaluates the library) or by importing `./cel-eager.ts` (the
 * validator, the CLI, the Node-side entry points and the test set-up, which compile expressions synchronously).
 * Compiling or evaluating an expression that needs CEL before either throws a TypeError saying so; a plain
 * reference (`trigger.body`) compiles and reads without it (`./reference.ts`).
 */

export type Cel = typeof CelModule;

let cel: Cel | undefined;
let loading: Promise<Cel> | undefined;

/** Gives the loaded library (from `./cel-eager.ts`); a second call keeps the first. */
export function provideCel(module: Cel): void {
  cel ??= module;
}

/** Whether the CEL library has been evaluated in this module graph (a test hook as much as a fast path). */
export function celLoaded(): boolean {
  return cel !== undefined;
}

/**
 * Loads the CEL library (once; later calls resolve at once). In a bundle esbuild keeps `./cel.ts` in the same file,
 * evaluated here on first call instead of at import.
 * @example if (!celLoaded()) await loadCel(); // before a plan that may need CEL compiles
 */
export function loadCel(): Promise<Cel> {
  if (cel) return Promise.resolve(cel);
  loading ??= import("./cel.ts").then((module) => {
    provideCel(module);
    return cel!;
  });
  return loading;
}

/** The library, which must be loaded by now. */
export function requireCel(): Cel {
  if (cel) return cel;
  throw new TypeError(
    "the CEL library is not loaded: `await loadCel()` (flows-runtime/kernel) before compiling a plan, or import flows-runtime/flows",
  );
}
