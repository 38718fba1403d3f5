import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { Command } from "commander";
import { registerGraph } from "../commands/graph.ts";
import type { CommandIO } from "../commands/io.ts";
import { registerNew } from "../commands/new.ts";
import { registerRun } from "../commands/run.ts";
import { registerValidate } from "../commands/validate.ts";

/** Helpers for the CLI's command tests (Node only). */

export const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "cli", "bin.js");

/** An env without colour settings, so that output is plain (not a TTY). */
function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.FORCE_COLOR;
  env.NO_COLOR = "1";
  return env;
}

/** Runs `node cli/bin.js ...args` like a user would; `input` goes to stdin. */
export function flowsCli(
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): { code: number | null; stdout: string; stderr: string } {
  const run: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: plainEnv(options.env),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * `node cli/bin.js ...args` without blocking this process (for tests that serve a Worker in it, which a
 * `spawnSync` would stall): `unset` names environment variables the child must not inherit.
 */
export function flowsCliAsync(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; unset?: readonly string[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = plainEnv(options.env);
  for (const name of options.unset ?? []) if (!options.env?.[name]) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `flows ...args`, sends SIGINT once stdout contains `waitFor`, and resolves with the exit code and output.
 */
export function interruptFlows(
  args: string[],
  waitFor: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: plainEnv() });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (!sent && stdout.includes(waitFor)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CommandIO that records what a command prints. */
export function recordingIO(): CommandIO & {
  stdoutText: () => string;
  stderrText: () => string;
  code?: number;
} {
  let out = "";
  let err = "";
  const io = {
    stdout: { isTTY: false },
    out: (text: string) => {
      out += text;
    },
    err: (text: string) => {
      err += text;
    },
    setExitCode: (code: number) => {
      io.code = code;
    },
    stdoutText: () => out,
    stderrText: () => err,
    code: undefined as number | undefined,
  };
  return io;
}

/**
 * Runs `flows run|graph|new|validate ...args` in this process (no Node start-up: fast), with `stdin` as standard input.
 * Usage errors of commander itself throw; use `flowsCli` for those.
 */
export async function flowsInProcess(
  args: string[],
  stdin = "",
  environment: NodeJS.ProcessEnv = { NO_COLOR: "1" },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = recordingIO();
  const program = new Command("flows").exitOverride();
  registerRun(program, io, {
    readStdin: async () => stdin,
    onInterrupt: () => () => {},
    environment,
  });
  registerGraph(program, io);
  registerNew(program, io);
  registerValidate(program, io);
  await program.parseAsync(args, { from: "user" });
  return { code: io.code ?? 0, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** A port that was free on 127.0.0.1 a moment ago (for servers a test starts on a port of its own choosing). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
