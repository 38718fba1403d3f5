import { type Document, isMap, isPair, isScalar, isSeq, parseDocument, visit } from "yaml";
import type { ValidationCode } from "../diagnostics/index.ts";
import { type LoadReport, MAX_ALIAS_COUNT, MAX_DEPTH, type Parsed } from "./load.ts";
import { offsetOf } from "./locate.ts";

/** Syntax errors reported per file; the rest are usually consequences of the first ones. */
const MAX_SYNTAX_ERRORS = 10;

const firstLine = (message: string): string =>
  message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");

/** `key: ${{ … }}` not in quotes: YAML reads a `{` in it as a mapping and a `: ` as a key. */
const UNQUOTED_EXPRESSION = /:\s+\$\{\{/;
const EXPRESSION_QUOTE_HINT =
  "quote an expression that holds `{`, `}` or `: `, e.g. `body: '${{ { \"a\": 1 } }}'`: unquoted, YAML reads them as its own syntax";

/** The line holding `offset`: its text and where it starts. */
function lineAt(text: string, offset: number): { text: string; start: number } {
  const start = text.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const end = text.indexOf("\n", offset);
  return { text: text.slice(start, end === -1 ? text.length : end), start };
}

/** Parses YAML 1.2 (core schema, unique keys) into a `yaml` Document: the tree with source ranges. */
export function parseYamlDocument(text: string): Document {
  return parseDocument(text, { uniqueKeys: true, prettyErrors: false, version: "1.2", logLevel: "silent" });
}

/**
 * Loads YAML 1.2 (core schema) with unique keys, bounded aliases and JSON-compatible values, with the `yaml`
 * package: exact diagnostics and positions, but slow (about 1 MB/s). `loadYamlFast` tries js-yaml first.
 */
export function loadYaml(text: string, report: LoadReport): Parsed {
  let doc: Document;
  try {
    doc = parseYamlDocument(text);
  } catch (error) {
    report(
      "FLOW_SYNTAX",
      0,
      `invalid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`,
    );
    return { document: undefined, offsetOf: () => 0 };
  }
  const parsed = (document: unknown): Parsed => ({
    document,
    offsetOf: (pointer, key, index) => offsetOf(doc, text, pointer, key, index),
  });
  reportSyntaxErrors(doc, text, report);
  for (const w of doc.warnings) {
    const tag = w.code === "TAG_RESOLVE_FAILED" ? /Unresolved tag: (\S+)/.exec(w.message)?.[1] : undefined;
    const message = tag
      ? `unknown YAML tag \`${tag}\`: it is ignored and the value is read as a plain string`
      : firstLine(w.message);
    report("FLOW_YAML_WARNING", w.pos[0], message, tag ? "remove the tag" : undefined);
  }
  if (doc.errors.length > 0 || !checkValues(doc, report)) return parsed(undefined);
  try {
    return parsed(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/excessive alias/i.test(message)) {
      report(
        "FLOW_ALIAS_LIMIT",
        firstAliasOffset(doc),
        `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias expansions): the document is rejected to protect the runtime`,
        "use fewer `*alias` references, or write the repeated values out",
      );
    } else report("FLOW_SYNTAX", firstAliasOffset(doc, true), `invalid YAML: ${firstLine(message)}`);
    return parsed(undefined);
  }
}

/**
 * YAML's syntax errors, at most MAX_SYNTAX_ERRORS. After an unquoted expression (`key: ${{ { … } }}`) YAML has read
 * the structure wrongly, so the errors it reports on later lines follow from it: they are left out (the first hint
 * says how many), except on another line with an unquoted expression, which is reported once.
 */
function reportSyntaxErrors(doc: Document, text: string, report: LoadReport): void {
  const kept: { code: ValidationCode; at: number; message: string; unquoted?: boolean }[] = [];
  const hinted = new Set<number>();
  let followers = 0;
  for (const e of doc.errors) {
    if (e.code === "DUPLICATE_KEY") {
      kept.push({ code: "FLOW_DUPLICATE_KEY", at: e.pos[0], message: duplicateKeyMessage(text, e.pos[0]) });
      continue;
    }
    const line = lineAt(text, e.pos[0]);
    const unquoted = UNQUOTED_EXPRESSION.test(line.text);
    // One report per line for an unquoted expression: YAML's follow-up errors on it say nothing new.
    if (unquoted && hinted.has(line.start)) continue;
    if (!unquoted && hinted.size > 0) {
      followers++;
      continue;
    }
    if (unquoted) hinted.add(line.start);
    kept.push({
      code: "FLOW_SYNTAX",
      at: e.pos[0],
      message: `invalid YAML: ${firstLine(e.message)}`,
      unquoted,
    });
  }
  let left =
    followers === 0
      ? ""
      : `; the ${followers} YAML ${followers === 1 ? "error after it follows from it and is" : "errors after it follow from it and are"} not shown`;
  for (const { code, at, message, unquoted } of kept.slice(0, MAX_SYNTAX_ERRORS)) {
    if (!unquoted) {
      report(code, at, message);
      continue;
    }
    report(code, at, message, EXPRESSION_QUOTE_HINT + left);
    left = "";
  }
}

/** Rejects what JSON cannot hold (`.inf`, `.nan`, keys that are lists or mappings) and too deep nesting. */
function checkValues(doc: Document, report: LoadReport): boolean {
  let ok = true;
  const walk = (node: unknown, depth: number): void => {
    if (isScalar(node)) {
      if (typeof node.value === "number" && !Number.isFinite(node.value)) {
        const source = String(node.source ?? node.value);
        report(
          "FLOW_UNSUPPORTED_VALUE",
          node.range?.[0] ?? 0,
          `\`${source}\` is not a JSON number`,
          "quote it to make it a string",
        );
        ok = false;
      }
      return;
    }
    if (!isMap(node) && !isSeq(node)) return;
    if (depth > MAX_DEPTH) {
      report(
        "FLOW_UNSUPPORTED_VALUE",
        node.range?.[0] ?? 0,
        `values are nested more than ${MAX_DEPTH} levels deep`,
      );
      ok = false;
      return;
    }
    for (const item of node.items) {
      if (!isPair(item)) {
        walk(item, depth + 1);
        continue;
      }
      if (item.key !== null && typeof item.key === "object" && !isScalar(item.key)) {
        const at = (item.key as { range?: number[] }).range?.[0] ?? 0;
        report("FLOW_UNSUPPORTED_VALUE", at, "a mapping key must be a string, not a list or a mapping");
        ok = false;
      }
      walk(item.value, depth + 1);
    }
  };
  walk(doc.contents, 0);
  return ok;
}

function duplicateKeyMessage(text: string, at: number): string {
  const rest = text.slice(at, at + 1024);
  const quoted = /^"(?:[^"\\\n]|\\.)*"|^'(?:[^'\n]|'')*'/.exec(rest);
  const key = quoted ? quoted[0].slice(1, -1) : (/^[^:\n]*/.exec(rest)?.[0].trim() ?? "?");
  return `duplicate key \`${key}\`: each key may appear once in a mapping; remove or rename one of them`;
}

/** Offset of the first alias (that names no earlier anchor, with `unresolved`). */
function firstAliasOffset(doc: Document, unresolved = false): number {
  let offset = 0;
  visit(doc, {
    Alias(_, alias) {
      if (!unresolved || alias.resolve(doc) === undefined) {
        offset = alias.range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
}
