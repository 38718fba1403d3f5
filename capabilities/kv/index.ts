/**
 * Workers KV capability: kinds `kv.get`, `kv.put`, `kv.delete`, `kv.list`.
 * @example
 * import { KV_KINDS } from "flows/capabilities/kv";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, KV_KINDS) });
 */
export {
  KIND_KV_DELETE,
  KIND_KV_GET,
  KIND_KV_LIST,
  KIND_KV_PUT,
  KV_DECLARATION,
  KV_KIND_SPECS,
  KV_LIMITS,
} from "./declaration.ts";
export { KV_KINDS, KV_SHAPE } from "./kinds.ts";
