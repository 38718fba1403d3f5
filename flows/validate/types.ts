import type { Diagnostic } from "../diagnostics/index.ts";
import type { Determinism, Effect, FlowDocument } from "../ir/types.ts";

/** A flow file to validate: its name (for messages and the format, by extension) and its text. */
export interface FlowSource {
  file: string;
  text: string;
}

/** One error of a compiled (build-time) JSON Schema validator; ajv's ErrorObject has this shape. */
export interface CompiledValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A compiled validator: returns true when valid, else sets `errors`. Never generated at run time. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: CompiledValidationError[] | null;
}

export interface ValidateOptions {
  /**
   * Config validators by kind name, used before the build-generated ones: for kinds whose catalog is not
   * compiled by `npm run build` (tests, third-party catalogs compiled elsewhere).
   */
  configValidators?: Readonly<Record<string, CompiledValidator>>;
}

/** A flow that loaded and matched the schema, with what the validator learnt about it. */
export interface ValidatedFlow {
  file: string;
  document: FlowDocument;
  /** True when no error was found in this flow's file. */
  ok: boolean;
  /** The weakest determinism of its nodes; a `write` node makes it at most `best_effort`. */
  determinism: Determinism;
  /** The effects its nodes have, sorted. */
  effects: Effect[];
}

export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  /** Flows that loaded and matched the schema (with or without semantic errors), in input order. */
  flows: ValidatedFlow[];
  /** Every diagnostic of every file, sorted by file (input order), line and column. */
  diagnostics: Diagnostic[];
  /**
   * Files that do not match the schema but whose well-formed parts the semantic rules checked (their findings are
   * among `diagnostics`), in input order.
   */
  partlyChecked: string[];
}
