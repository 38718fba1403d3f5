import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./bundle.ts";

/** The project's wrangler (what `npx wrangler` runs), started with this Node. */
export const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export interface WranglerRun {
  code: number;
  output: string;
}

/**
 * Runs `wrangler <args>` to its end, collecting stdout and stderr (and passing each chunk to `onOutput`).
 * @example await runWrangler(["deploy", "--config", "out/wrangler.jsonc", "--dry-run"])
 */
export function runWrangler(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onOutput?: (text: string) => void } = {},
): Promise<WranglerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
