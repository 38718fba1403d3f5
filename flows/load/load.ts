import {
  type Diagnostic,
  type SourcePosition,
  VALIDATION_CODES,
  type ValidationCode,
} from "../diagnostics/index.ts";
import { loadJson } from "./json.ts";
import { positionsOf } from "./positions.ts";
import { loadYamlFast } from "./yaml-fast.ts";

/** Aliases (`*name`) a document may expand before it is rejected (YAML "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** Deepest nesting of mappings and lists a document may have. */
export const MAX_DEPTH = 100;

export interface LocateOptions {
  /** Locate the key of the mapping entry rather than its value. */
  key?: boolean;
  /** Locate the character at this index inside a string value. */
  index?: number;
}

/** A flow file parsed into a plain JSON document, with a way back to its source positions. */
export interface LoadedSource {
  file: string;
  /** The plain document, or undefined when the text could not be loaded (see `diagnostics`). */
  document: unknown;
  /** Syntax and structure problems; any error means `document` is undefined. */
  diagnostics: Diagnostic[];
  /** Line and column (1-based) of the value at a JSON pointer, or of its nearest existing ancestor. */
  locate(pointer: string, options?: LocateOptions): SourcePosition;
}

/** What the format-specific loaders share: report a problem at an offset. */
export type LoadReport = (code: ValidationCode, offset: number, message: string, hint?: string) => void;

/** What a format-specific loader returns: the document (undefined on error) and an offset finder. */
export interface Parsed {
  document: unknown;
  offsetOf(pointer: string, key: boolean, index?: number): number;
}

/**
 * Parses flow text (`.yaml`, `.yml` or `.json`, chosen by the file name) into a plain document plus a
 * `locate(pointer)` function. Pure: reading the file is the caller's job. JSON is parsed strictly; YAML is
 * YAML 1.2 (core schema) with unique keys and bounded aliases, read by js-yaml when that gives the same result
 * (positions are then computed on the first `locate`), by the `yaml` package otherwise.
 * @example loadFlowSource("flows: 1\nid: hello\n", "hello.yaml").locate("/id") // { line: 2, column: 5 }
 */
export function loadFlowSource(text: string, file: string): LoadedSource {
  return loadSource(text, file, loadYamlFast);
}

/** Reads YAML text into a `Parsed`: `loadYamlFast` (js-yaml when it can) or `loadYaml` (`yaml` only). */
export type YamlLoader = (text: string, report: LoadReport) => Parsed;

/**
 * `loadFlowSource` with a chosen YAML loader (internal: the tests compare the fast and the slow loaders).
 * @internal
 */
export function loadSource(text: string, file: string, loadYaml: YamlLoader): LoadedSource {
  const position = positionsOf(text);
  const diagnostics: Diagnostic[] = [];
  const report: LoadReport = (code, offset, message, hint) => {
    const d: Diagnostic = {
      code,
      message,
      file,
      ...position(offset),
      pointer: "",
      severity: VALIDATION_CODES[code],
    };
    if (hint) d.hint = hint;
    diagnostics.push(d);
  };
  const parsed = file.toLowerCase().endsWith(".json") ? loadJson(text, report) : loadYaml(text, report);
  let document = parsed.document;
  if (document !== undefined && !diagnostics.some((d) => d.severity === "error")) {
    if (document === null) {
      report("FLOW_ROOT_NOT_OBJECT", 0, "the file is empty: a flow is a mapping that starts with `flows: 1`");
    } else if (typeof document !== "object" || Array.isArray(document)) {
      const what = Array.isArray(document) ? "a list" : `a ${typeof document}`;
      report(
        "FLOW_ROOT_NOT_OBJECT",
        parsed.offsetOf("", false),
        `the document is ${what}; a flow is a mapping that starts with \`flows: 1\``,
      );
    }
  }
  if (diagnostics.some((d) => d.severity === "error")) document = undefined;
  return {
    file,
    document,
    diagnostics,
    locate: (pointer, options = {}) =>
      position(parsed.offsetOf(pointer, options.key === true, options.index)),
  };
}
