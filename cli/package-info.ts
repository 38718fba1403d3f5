import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * Where this CLI runs from, the same way in a checkout (`cli/*.ts`) and in an installed package
 * (`node_modules/flows-runtime/dist/cli/*.js`).
 */

/** The npm name of the package (the command is `flows`). */
export const PACKAGE_NAME = "flows-runtime";

/**
 * The tree holding `flows/`, `kernel/`, `hosts/`, `capabilities/` and `cli/`: the checkout, or the package's `dist/`.
 * The packager's bundler resolves the runtime from here, so a Worker is built from the code of the CLI that builds it.
 */
export const RUNTIME_ROOT: string = resolve(import.meta.dirname, "..");

/** The folder of the package's own package.json (the checkout, or `node_modules/flows-runtime`). */
export const PACKAGE_ROOT: string = (() => {
  for (let dir = RUNTIME_ROOT; ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === PACKAGE_NAME
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${RUNTIME_ROOT}`);
  }
})();

/** The package's version (`flows --version`, and the range `flows new` depends on). */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** Whether the CLI runs from a checkout of the repository (TypeScript sources) rather than an installed package. */
export const FROM_CHECKOUT: boolean = RUNTIME_ROOT === PACKAGE_ROOT;
