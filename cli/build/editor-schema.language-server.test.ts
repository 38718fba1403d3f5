import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { getLanguageService } from "yaml-language-server";
import { defaultCatalog } from "../catalog.ts";
import { editorSchema } from "./editor-schema.ts";
import { SCHEMA_FILE } from "./validators.ts";

// yaml-language-server (what VS Code's YAML extension runs) on flow files, with the generated editor schema.
const SCHEMA_URI = "file:///flows/flow.schema.json";
const schemaText = JSON.stringify(
  editorSchema(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")), defaultCatalog()),
);
const service = getLanguageService({
  schemaRequestService: async (uri) => {
    if (uri === SCHEMA_URI) return schemaText;
    throw new Error(`no schema at ${uri}`);
  },
  workspaceContext: { resolveRelativePath: (path, resource) => new URL(path, resource).toString() },
});
service.configure({
  completion: true,
  validate: true,
  hover: true,
  schemas: [{ uri: SCHEMA_URI, fileMatch: ["*.yaml"] }],
});

let documents = 0;
/** A flow document; `|` marks the cursor. */
const flow = (nodes: string): { doc: TextDocument; at: number } => {
  const text = `flows: 1\nid: editor\nversion: 1.0.0\ntriggers: []\nnodes:\n${nodes}`;
  documents += 1;
  const doc = TextDocument.create(`file:///flows/f${documents}.yaml`, "yaml", 1, text.replace("|", ""));
  return { doc, at: text.indexOf("|") };
};

const labels = async (nodes: string): Promise<string[]> => {
  const { doc, at } = flow(nodes);
  const list = await service.doComplete(doc, doc.positionAt(at), false);
  return list.items.map((item) => item.label);
};

describe("yaml-language-server with the editor schema", () => {
  it("completes `kind:` with every kind", async () => {
    const kinds = await labels("  - id: a\n    kind: |\n");
    expect(kinds).toEqual(Object.keys(defaultCatalog()).sort());
  });

  it("completes a kind's config keys and its input ports", async () => {
    expect(await labels("  - id: a\n    kind: kv.get\n    config:\n      |\n")).toEqual([
      "binding",
      "type",
      "cacheTtl",
    ]);
    expect(await labels("  - id: a\n    kind: http.fetch\n    config:\n      |\n")).toEqual([
      "responseType",
      "failOnError",
    ]);
    expect(await labels("  - id: a\n    kind: http.fetch\n    inputs:\n      |\n")).toEqual(
      expect.arrayContaining(["url", "method", "headers", "body"]),
    );
  });

  it("offers the kind's default timeout and the runtime's retry defaults", async () => {
    expect(await labels("  - id: a\n    kind: kv.get\n    timeout: |\n")).toEqual(["10s"]);
    const { doc, at } = flow("  - id: a\n    kind: kv.get\n    |\n");
    const items = (await service.doComplete(doc, doc.positionAt(at), false)).items;
    expect(items.find((i) => i.label === "retry")?.insertText).toBe(
      "retry:\n  attempts: ${1:1}\n  delay: ${2:200ms}\n  maxDelay: ${3:30s}\n  jitter: ${4:false}\n  idempotent: ${5:false}",
    );
  });

  it("marks a config key the kind does not have", async () => {
    const { doc } = flow("  - id: a\n    kind: kv.get\n    config:\n      typ: json\n");
    const diagnostics = await service.doValidation(doc, false);
    expect(diagnostics.map((d) => [d.range.start.line, d.message])).toEqual([
      [8, "Property typ is not allowed."],
    ]);
  });
});
