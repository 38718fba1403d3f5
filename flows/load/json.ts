import { findJsonError } from "./json-error.ts";
import { indexJson, type JsonNode, jsonOffset } from "./json-index.ts";
import { type LoadReport, MAX_DEPTH, type Parsed } from "./load.ts";

/** Loads strict JSON: JSON.parse for the value, a position index for locations and duplicate keys. */
export function loadJson(text: string, report: LoadReport): Parsed {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    const { offset, message } = findJsonError(text);
    report("FLOW_SYNTAX", offset, `invalid JSON: ${message}`);
    return { document: undefined, offsetOf: () => offset };
  }
  const index = indexJson(text, MAX_DEPTH);
  const root: JsonNode = index.root;
  for (const { offset, key } of index.duplicates) {
    report(
      "FLOW_DUPLICATE_KEY",
      offset,
      `duplicate key \`${key}\`: each key may appear once in an object; remove or rename one of them`,
    );
  }
  if (index.tooDeep !== undefined) {
    report("FLOW_UNSUPPORTED_VALUE", index.tooDeep, `values are nested more than ${MAX_DEPTH} levels deep`);
  }
  return { document, offsetOf: (pointer, key, i) => jsonOffset(text, root, pointer, key, i) };
}
