import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { CliError } from "../run/errors.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

interface SchemaOptions {
  out?: string;
}

/**
 * `flows schema [--out file]`: the editor schema of this project (the built-in kinds and those of the capability
 * packages listed in package.json), for `$schema` / `yaml-language-server: $schema=` lines.
 */
export async function runSchema(options: SchemaOptions, io: CommandIO): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const { editorSchema } = await import("../build/editor-schema.ts");
  const { SCHEMA_FILE } = await import("../build/validators.ts");
  const { loadProject } = await import("../project.ts");
  const { catalog } = await loadProject();
  const base = JSON.parse(await readFile(SCHEMA_FILE, "utf8")) as Record<string, never>;
  const text = `${JSON.stringify(editorSchema(base, catalog), null, 2)}\n`;
  if (options.out === undefined) {
    io.out(text);
    return 0;
  }
  try {
    await writeFile(options.out, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown";
    throw new CliError("CLI_OUT_UNWRITABLE", `cannot write ${options.out} (${code})`, { out: options.out });
  }
  io.out(`wrote ${options.out} (${Object.keys(catalog).length} kinds)\n`);
  return 0;
}

/** Adds `flows schema` to the program. */
export function registerSchema(program: Command, io: CommandIO): void {
  program
    .command("schema")
    .description(
      "print the editor JSON Schema of this project's flows: kind values, each kind's config and inputs, defaults",
    )
    .option("--out <file>", "write it to this file (e.g. flows.schema.json) instead of stdout")
    .addHelpText("after", "\nExit codes: 0 ok, 2 usage error (unwritable --out, bad capability package).")
    .action(async (options: SchemaOptions) => {
      try {
        io.setExitCode(await runSchema(options, io));
      } catch (error) {
        io.setExitCode(reportCliError(error, false, io));
      }
    });
}
