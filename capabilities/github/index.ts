/**
 * GitHub capability: GitHub App / token auth and the REST kinds (`github.request`, `github.get`, comment,
 * labels, issue state, check runs, commit statuses, pull request files, merge).
 * @example
 * import { GITHUB_KINDS } from "flows/capabilities/github";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, GITHUB_KINDS) });
 */
export { appJwt, pkcs1ToPkcs8Der, toPkcs8 } from "./auth/jwt.ts";
export * from "./declaration.ts";
export { GITHUB_KINDS } from "./kinds.ts";
