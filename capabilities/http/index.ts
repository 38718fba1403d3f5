/**
 * HTTP capability: `http.fetch`, a call to any HTTP endpoint under the node's signal, timeout and retry policy.
 * @example
 * import { HTTP_KINDS } from "flows/capabilities/http";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, HTTP_KINDS) });
 */
export { HTTP_DECLARATION, HTTP_KIND_SPECS, KIND_HTTP_FETCH } from "./declaration.ts";
export { HTTP_KINDS, httpFetchKind, retryAfterMs } from "./kinds.ts";
