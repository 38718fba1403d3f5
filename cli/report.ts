import type { Diagnostic, ValidationResult } from "../flows/index.ts";
import type { Colors } from "./color.ts";

/** Lines of source shown before and after the line of a diagnostic. */
const CONTEXT_LINES = 1;

/**
 * A few lines of source around `line`, with a caret under `column`:
 * ```
 * 20 |   - id: a
 * 21 |     kind: transfrom
 *    |           ^
 * ```
 */
export function codeFrame(text: string, line: number, column: number, c: Colors): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - CONTEXT_LINES);
  const last = Math.min(lines.length, line + CONTEXT_LINES);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const source = lines[n - 1] ?? "";
    out.push(`${c.dim(`${String(n).padStart(width)} |`)} ${source}`);
    if (n === line) {
      // Keep tabs so that the caret lines up with the source in any terminal.
      const before = source.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, " ");
      out.push(`${c.dim(`${" ".repeat(width)} |`)} ${before}${c.red("^")}`);
    }
  }
  return out.join("\n");
}

function formatDiagnostic(d: Diagnostic, text: string | undefined, c: Colors): string {
  const label =
    d.severity === "error" ? c.red(c.bold(`error[${d.code}]`)) : c.yellow(c.bold(`warning[${d.code}]`));
  const parts = [`${label} ${d.message}`, `  ${c.cyan("-->")} ${d.file}:${d.line}:${d.column}`];
  if (text !== undefined) parts.push(codeFrame(text, d.line, d.column, c));
  if (d.hint) parts.push(`  ${c.cyan("= hint:")} ${d.hint}`);
  return parts.join("\n");
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The human report: every diagnostic with a code frame, then one line per file and a total. */
export function formatReport(
  result: ValidationResult,
  texts: ReadonlyMap<string, string>,
  c: Colors,
): string {
  const blocks = result.diagnostics.map((d) => formatDiagnostic(d, texts.get(d.file), c));
  const lines: string[] = [];
  let valid = 0;
  let errors = 0;
  let warnings = 0;
  for (const file of texts.keys()) {
    const mine = result.diagnostics.filter((d) => d.file === file);
    const e = mine.filter((d) => d.severity === "error").length;
    const w = mine.length - e;
    errors += e;
    warnings += w;
    const flow = result.flows.find((f) => f.file === file);
    const counts = [e ? plural(e, "error") : "", w ? plural(w, "warning") : ""].filter(Boolean).join(", ");
    if (e === 0) valid++;
    const mark = e === 0 ? c.green("✓") : c.red("✗");
    const name = flow ? `${c.bold(flow.document.id)} (${file})` : file;
    const about = flow
      ? `determinism ${flow.determinism}, effects ${flow.effects.join(", ") || "none"}`
      : result.partlyChecked.includes(file)
        ? "its schema errors left out, the rest checked"
        : "not checked further";
    lines.push(
      `${mark} ${name}: ${e === 0 ? "valid" : counts}${e === 0 && w ? ` (${counts})` : ""}; ${about}`,
    );
  }
  const total = `${plural(texts.size, "file")}: ${valid} valid, ${texts.size - valid} invalid; ${plural(errors, "error")}, ${plural(warnings, "warning")}`;
  lines.push(result.ok ? c.green(total) : c.red(total));
  return [...blocks, lines.join("\n")].join("\n\n");
}

/**
 * The `--json` report: exactly `{ ok, diagnostics, flows }`; a diagnostic has `code, message, file, line, column,
 * pointer, severity, hint` (`hint` null when there is none), a flow `file, id, determinism, effects` (the same
 * facts as the human report's summary line).
 */
export function jsonReport(result: ValidationResult): string {
  return JSON.stringify(
    {
      ok: result.ok,
      diagnostics: result.diagnostics.map(
        ({ code, message, file, line, column, pointer, severity, hint }) => ({
          code,
          message,
          file,
          line,
          column,
          pointer,
          severity,
          hint: hint ?? null,
        }),
      ),
      flows: result.flows.map((f) => ({
        file: f.file,
        id: f.document.id,
        determinism: f.determinism,
        effects: [...f.effects],
      })),
    },
    null,
    2,
  );
}
