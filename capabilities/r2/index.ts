/**
 * R2 capability: kinds `r2.get`, `r2.head`, `r2.put`, `r2.delete`, `r2.list` and `r2.multipart.*`.
 * @example
 * import { R2_KINDS } from "flows/capabilities/r2";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, R2_KINDS) });
 */
export * from "./declaration.ts";
export { R2_KINDS } from "./kinds.ts";
export { type ObjectInfo, R2_SHAPE } from "./shape.ts";
