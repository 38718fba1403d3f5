import "../flows/expr/cel-eager.ts";
import { Command, CommanderError } from "commander";
import { PeerMissingError } from "../hosts/node/peers.ts";
import { registerDev } from "./commands/dev.ts";
import { registerGraph } from "./commands/graph.ts";
import type { CommandIO } from "./commands/io.ts";
import { registerNew } from "./commands/new.ts";
import { registerPackage } from "./commands/package.ts";
import { registerPlan } from "./commands/plan.ts";
import { registerRun } from "./commands/run.ts";
import { registerRuns } from "./commands/runs.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerTrigger } from "./commands/trigger.ts";
import { registerValidate } from "./commands/validate.ts";
import { UsageError } from "./files.ts";
import { PACKAGE_VERSION } from "./package-info.ts";
import { CliError } from "./run/errors.ts";

/** Output streams as the process has them: `write` and the `error` event (EPIPE once the reader is gone). */
export interface ProcessStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The CommandIO of the process. A reader that goes away (`flows run --json | head -3`: EPIPE on the next write)
 * ends the output quietly: later writes are dropped, `closed` aborts (a run is cancelled) and no stack is printed.
 * Errors of stderr are dropped the same way.
 */
export function processIO(streams: ProcessStreams, setExitCode: (code: number) => void): CommandIO {
  const closed = new AbortController();
  let stderrOpen = true;
  streams.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (closed.signal.aborted) return; // the writes that were under way when the reader left
    if (error.code !== "EPIPE") throw error;
    closed.abort(new Error("stdout was closed by its reader"));
  });
  streams.stderr.on("error", () => {
    stderrOpen = false;
  });
  return {
    stdout: streams.stdout,
    stderr: streams.stderr,
    out: (text) => {
      if (!closed.signal.aborted) streams.stdout.write(text);
    },
    err: (text) => {
      if (stderrOpen) streams.stderr.write(text);
    },
    setExitCode,
    closed: closed.signal,
  };
}

/**
 * Runs the `flows` command line and returns the exit code: 0 success (also bare `flows`, which prints the
 * help), 1 invalid flows, 2 usage error. Once stdout is closed by its reader the code is 0 whatever the command
 * was doing: the reader took what it wanted. Each command lives in `cli/commands/<name>.ts` and registers
 * itself here.
 * @example process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[], streams: ProcessStreams = process): Promise<number> {
  let exitCode = 0;
  const io = processIO(streams, (code) => {
    exitCode = code;
  });
  const program = new Command("flows")
    .description("Declarative dataflow flows on Cloudflare Workers")
    .version(PACKAGE_VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .showHelpAfterError("(run `flows --help` for usage)");
  registerValidate(program, io);
  registerPackage(program, io);
  registerDev(program, io);
  registerRun(program, io);
  registerRuns(program, io);
  registerGraph(program, io);
  registerPlan(program, io);
  registerNew(program, io);
  registerSchema(program, io);
  registerTrigger(program, io);
  if (argv.length <= 2) {
    // Bare `flows`: the help, as `wrangler` and `git` print it, and success.
    io.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (io.closed?.aborted) return 0;
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.err(`flows: ${error.message}\n`);
      return 2;
    }
    if (error instanceof PeerMissingError) {
      io.err(`flows: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`flows: error[${error.code}] ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  return io.closed?.aborted ? 0 : exitCode;
}
