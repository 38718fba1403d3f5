import { Command, CommanderError } from "commander";
import { PeerMissingError } from "../hosts/node/peers.ts";
import { registerDev } from "./commands/dev.ts";
import { registerGraph } from "./commands/graph.ts";
import type { CommandIO } from "./commands/io.ts";
import { registerNew } from "./commands/new.ts";
import { registerPackage } from "./commands/package.ts";
import { registerRun } from "./commands/run.ts";
import { registerValidate } from "./commands/validate.ts";
import { UsageError } from "./files.ts";
import { PACKAGE_VERSION } from "./package-info.ts";

/**
 * Runs the `flows` command line and returns the exit code: 0 success, 1 invalid flows, 2 usage error.
 * Each command lives in `cli/commands/<name>.ts` and registers itself here.
 * @example process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const io: CommandIO = {
    stdout: process.stdout,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    setExitCode: (code) => {
      exitCode = code;
    },
  };
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
  registerGraph(program, io);
  registerNew(program, io);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.err(`flows: ${error.message}\n`);
      return 2;
    }
    if (error instanceof PeerMissingError) {
      io.err(`flows: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return exitCode;
}
