/**
 * What a command may use of the process: output streams and the exit code (injected, for tests). The rule:
 * what a command produces (`--json` documents, run events and output, a graph) goes to `out` (stdout); what it
 * says about the work (diagnostics, reports, progress, errors) goes to `err` (stderr).
 */
export interface CommandIO {
  stdout: { isTTY?: boolean };
  /** Whether stderr is a terminal (colours of reports); stdout's answer when not given. */
  stderr?: { isTTY?: boolean };
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** Aborts when stdout is closed by its reader (`flows run --json | head -3`): stop producing output. */
  closed?: AbortSignal;
}

/** The stream that reports (`io.err`) go to, for `colorsFor`. */
export const reportStream = (io: CommandIO): { isTTY?: boolean } => io.stderr ?? io.stdout;
