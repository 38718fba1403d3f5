/**
 * Errors of `flows package workers` and `flows dev`, each with a stable code (listed in impl-docs/errors.md,
 * "CLI codes") and the exit code the command ends with.
 */

/** Every packaging code, with its exit code: 3 the package could not be made, 4 `wrangler deploy` failed. */
export const PACKAGE_CODES = Object.freeze({
  PACKAGE_OUT_DIR: 3,
  PACKAGE_CONFIG_INVALID: 3,
  PACKAGE_CONFIG_TOML: 3,
  PACKAGE_BINDING_CONFLICT: 3,
  PACKAGE_UNKNOWN_DO_CLASS: 3,
  PACKAGE_BUNDLE_FAILED: 3,
  PACKAGE_BUDGET_EXCEEDED: 3,
  PACKAGE_SUBREQUESTS_EXCEEDED: 3,
  PACKAGE_DEPLOY_FAILED: 4,
});

export type PackageCode = keyof typeof PACKAGE_CODES;

/** A packaging failure: a code, a message that says how to fix it, and details for `--json`. */
export class PackageError extends Error {
  override name = "PackageError";
  readonly code: PackageCode;
  readonly details: Record<string, unknown>;
  constructor(code: PackageCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
  /** The process exit code for this error. */
  get exitCode(): number {
    return PACKAGE_CODES[this.code];
  }
}
