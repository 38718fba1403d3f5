/**
 * The package's `flows-runtime/kernel` entry: the kernel (`./index.ts`) with the CEL library loaded at import, so
 * that `createPlan(doc)` compiles any expression synchronously, as it always has. The Workers host imports
 * `./index.ts` instead, and loads CEL before its first run (`loadCel()`), so that a Worker's import does not pay for
 * it (impl-docs/kernel.md, "What start-up costs").
 */
import "../flows/expr/cel-eager.ts";

export * from "./index.ts";
