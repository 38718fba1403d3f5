import { type Diagnostic, VALIDATION_CODES, type ValidationCode } from "../diagnostics/index.ts";
import type { FlowDocument, Json } from "../ir/types.ts";
import type { KindCatalog, NodeKindSpec } from "../kinds/spec.ts";
import type { LoadedSource } from "../load/index.ts";
import type { ValidateOptions } from "./types.ts";

/** A `nodes.<id>.<port>` reference found in an expression, located by pointer and index in the string. */
export interface Reference {
  /** Index of the node the expression belongs to (a map template belongs to its map node). */
  from: number;
  node: string;
  port?: string;
  pointer: string;
  index: number;
}

/** A map node's template (`config.node`) whose kind is known. */
export interface TemplateInfo {
  spec: NodeKindSpec;
  config: Record<string, Json>;
  pointer: string;
  label: string;
}

export interface ReportOptions {
  hint?: string;
  /** Locate the key of the entry rather than its value. */
  key?: boolean;
  /** Locate this character of a string value. */
  index?: number;
}

/** The state the rules of one flow share: the document, what earlier rules learnt, and the report sink. */
export interface FlowCheck {
  readonly file: string;
  readonly doc: FlowDocument;
  readonly source: LoadedSource;
  readonly catalog: KindCatalog;
  readonly options: ValidateOptions;
  readonly diagnostics: Diagnostic[];
  /** The spec of each node's kind (undefined when unknown), by node index. */
  readonly specs: (NodeKindSpec | undefined)[];
  /** Map templates (at any depth), by the index of their node: they add effects, determinism and needs. */
  readonly templates: Map<number, TemplateInfo[]>;
  /** Indexes of nodes whose config failed their kind's schema (their output ports are unknown). */
  readonly badConfig: Set<number>;
  /** Node id → index of its first declaration. */
  readonly index: Map<string, number>;
  readonly references: Reference[];
  /** Ids of nodes left out of a document with schema errors (see salvage.ts): references to them are not unknown. */
  readonly droppedNodes: ReadonlySet<string>;
  report(code: ValidationCode, pointer: string, message: string, options?: ReportOptions): void;
  /** Line of a pointer, for "first declared at line N" messages. */
  lineOf(pointer: string): number;
}

type Report = FlowCheck["report"];

/**
 * How the rules' pointers map to the file, and what they must not report, when they check the well-formed part
 * of a document with schema errors (nodes or triggers left out shift the indexes).
 */
export interface PartialView {
  toFile(pointer: string): string;
  suppressed: ReadonlySet<ValidationCode>;
  droppedNodes: ReadonlySet<string>;
}

/** A report function that locates diagnostics in one source and collects them. */
export function createReporter(
  source: LoadedSource,
  diagnostics: Diagnostic[],
  partial?: PartialView,
): Report {
  return (code, rulePointer, message, opts = {}) => {
    if (partial?.suppressed.has(code)) return;
    const pointer = partial ? partial.toFile(rulePointer) : rulePointer;
    const { line, column } = source.locate(pointer, { key: opts.key, index: opts.index });
    const d: Diagnostic = {
      code,
      message,
      file: source.file,
      line,
      column,
      pointer,
      severity: VALIDATION_CODES[code],
    };
    if (opts.hint) d.hint = opts.hint;
    diagnostics.push(d);
  };
}

export function createCheck(
  source: LoadedSource,
  doc: FlowDocument,
  catalog: KindCatalog,
  options: ValidateOptions,
  diagnostics: Diagnostic[],
  partial?: PartialView,
): FlowCheck {
  return {
    file: source.file,
    doc,
    source,
    catalog,
    options,
    diagnostics,
    specs: [],
    templates: new Map(),
    badConfig: new Set(),
    index: new Map(),
    references: [],
    droppedNodes: partial?.droppedNodes ?? new Set(),
    report: createReporter(source, diagnostics, partial),
    lineOf: (pointer) => source.locate(partial ? partial.toFile(pointer) : pointer).line,
  };
}

/** A node's config as a plain object (absent or odd configs read as `{}`). */
export function configOf(value: unknown): Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, Json>)
    : {};
}

/** `node \`fetch\` (kind \`http.fetch\`)`. */
export const nodeLabel = (id: string, kind?: string): string =>
  kind ? `node \`${id}\` (kind \`${kind}\`)` : `node \`${id}\``;
