/**
 * Errors of the CLI's own (not a flow's): each has a stable code, listed in impl-docs/errors.md under
 * "CLI codes" (`cli/run/errors.test.ts` keeps them in step), and the exit code the command ends with.
 */

/**
 * Exit codes of `flows run`, `flows graph`, `flows new`, `flows runs` and `flows plan` (documented in `--help` and
 * impl-docs/cli.md). `flows runs` reuses 3 for "the Worker answered an error" and 4 for "no answer from the run API".
 */
export const EXIT = Object.freeze({
  ok: 0,
  invalid: 1,
  usage: 2,
  runFailed: 3,
  mismatch: 4,
  interrupted: 130,
});

/** Every CLI code with its exit code. */
export const CLI_CODES = Object.freeze({
  CLI_FILE_NOT_FOUND: EXIT.usage,
  CLI_FLOW_REQUIRED: EXIT.usage,
  CLI_FLOW_UNKNOWN: EXIT.usage,
  CLI_TRIGGER_REQUIRED: EXIT.usage,
  CLI_TRIGGER_UNKNOWN: EXIT.usage,
  CLI_INPUT_INVALID: EXIT.usage,
  CLI_OPTION_INVALID: EXIT.usage,
  CLI_OUT_UNWRITABLE: EXIT.usage,
  CLI_DIR_NOT_EMPTY: EXIT.usage,
  CLI_BINDINGS_UNSUPPORTED: EXIT.usage,
  CLI_CAPABILITY_INVALID: EXIT.usage,
  CLI_TOKEN_MISSING: EXIT.usage,
  CLI_GIT_FAILED: EXIT.usage,
  CLI_OUTPUT_MISMATCH: EXIT.mismatch,
  CLI_RUNS_REFUSED: EXIT.runFailed,
  CLI_RUNS_UNREACHABLE: EXIT.mismatch,
  CLI_SECRET_MISSING: EXIT.usage,
  CLI_TRIGGER_UNREACHABLE: EXIT.mismatch,
});

export type CliCode = keyof typeof CLI_CODES;

/** A CLI error: a code, a message that says how to fix it, and optional details. */
export class CliError extends Error {
  override name = "CliError";
  readonly code: CliCode;
  readonly details: unknown;

  constructor(code: CliCode, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return CLI_CODES[this.code];
  }

  /** The error envelope (`runId` null: no run). */
  toJSON(): { error: { code: string; message: string; details?: unknown; runId: null } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
        runId: null,
      },
    };
  }
}
