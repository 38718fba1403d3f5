import { spawn } from "node:child_process";
import { peerBin } from "../../hosts/node/peers.ts";

/**
 * The project's wrangler (what `npx wrangler` runs: the user's own version first), started with this Node. Throws
 * PeerMissingError, one line saying what to install, when wrangler is not installed.
 */
export const wranglerBin = (purpose: string): string => peerBin("wrangler", purpose);

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
    const child = spawn(process.execPath, [wranglerBin(`wrangler ${args[0] ?? ""}`.trim()), ...args], {
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
