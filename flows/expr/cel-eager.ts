import * as cel from "./cel.ts";
import { provideCel } from "./cel-loader.ts";

/**
 * Importing this module loads the CEL library at once, for code that compiles expressions synchronously outside
 * a host's run (the validator, `flows/changes`, the CLI, the test set-up). A Worker's module graph never imports
 * it: the Workers host awaits `loadCel()` before its first run instead (`./cel-loader.ts`).
 */
provideCel(cel);
