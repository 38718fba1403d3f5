/**
 * GitHub capability: GitHub App / token auth and the REST kinds (`github.request`, `github.get`, comment,
 * labels, issue state, check runs, commit statuses, pull request files, merge).
 * @example
 * import { GITHUB_KINDS } from "flows/capabilities/github";
 * export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, GITHUB_KINDS) });
 */
export { appJwt, pkcs1ToPkcs8Der, toPkcs8 } from "./auth/jwt.ts";
export {
  GITHUB_DECLARATION,
  GITHUB_DEFAULTS,
  GITHUB_KIND_SPECS,
  KIND_GITHUB_ADD_LABELS,
  KIND_GITHUB_CLOSE_ISSUE,
  KIND_GITHUB_COMMENT,
  KIND_GITHUB_CREATE_CHECK_RUN,
  KIND_GITHUB_GET,
  KIND_GITHUB_LIST_PR_FILES,
  KIND_GITHUB_MERGE_PR,
  KIND_GITHUB_REMOVE_LABELS,
  KIND_GITHUB_REOPEN_ISSUE,
  KIND_GITHUB_REQUEST,
  KIND_GITHUB_SET_STATUS,
  KIND_GITHUB_UPDATE_CHECK_RUN,
} from "./declaration.ts";
export { GITHUB_KINDS } from "./kinds.ts";
