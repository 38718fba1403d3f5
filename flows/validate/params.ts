import type { Diagnostic } from "../diagnostics/index.ts";
import type { FlowDocument } from "../ir/types.ts";
import type { LoadedSource } from "../load/index.ts";
import { instantiateFlow } from "../params/index.ts";
import { createReporter } from "./context.ts";

/** A `${{ params.<name> }}` reference somewhere in the text. */
const REFERENCE = /\$\{\{\s*params\./;

/**
 * A loaded flow with its parameters' defaults in place (`flows/params`), so that the schema and every rule check
 * the flow as it runs; the instance's positions are the source's (a binding parameter's binding is located at its
 * declaration). FLOW_PARAM_* problems are reported here. A flow without parameters is returned as it is.
 */
export function withParamDefaults(
  source: LoadedSource,
  text: string,
  diagnostics: Diagnostic[],
): LoadedSource {
  const doc = source.document;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return source;
  if (!Object.hasOwn(doc, "params") && !REFERENCE.test(text)) return source;
  const instance = instantiateFlow(doc as FlowDocument);
  const report = createReporter(source, diagnostics);
  for (const issue of instance.issues) {
    report(issue.code, issue.pointer, issue.message, issue.index === undefined ? {} : { index: issue.index });
  }
  return {
    ...source,
    document: instance.document,
    locate: (pointer, options) => {
      const from = instance.sourcePointer(pointer);
      return source.locate(from, from === pointer ? options : { key: options?.key });
    },
  };
}
