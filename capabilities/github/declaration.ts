import type { JsonSchema, KindCatalog, NodeKindSpec, PortSpec } from "../../flows/kinds/spec.ts";
import { DURATION_PATTERN } from "../../flows/units/duration.ts";
import { GITHUB_CODES } from "../codes.ts";
import { defineCapability } from "../define.ts";

/**
 * GitHub: the pure half (kind specs). Every kind calls the GitHub REST API through one client
 * (`rest/client.ts`) with one auth model (`auth/`): a GitHub App installation token (JWT RS256 → installation
 * access token, cached in KV) or a personal access token. Config is static (auth mode, binding names, base URL,
 * retry limits); inputs are per-run values (the installation id, owner/repo/number, bodies).
 *
 * Effects: reads (`github.get`, `github.listPullRequestFiles`) are `read` / `best_effort` (another actor may
 * change GitHub between two reads; the kernel retries reads freely). Everything else is `external` /
 * `nondeterministic` (`github.request` may use any method, so it is `external` even for a GET).
 */

export const KIND_GITHUB_REQUEST = "github.request";
export const KIND_GITHUB_GET = "github.get";
export const KIND_GITHUB_COMMENT = "github.comment";
export const KIND_GITHUB_ADD_LABELS = "github.addLabels";
export const KIND_GITHUB_REMOVE_LABELS = "github.removeLabels";
export const KIND_GITHUB_CLOSE_ISSUE = "github.closeIssue";
export const KIND_GITHUB_REOPEN_ISSUE = "github.reopenIssue";
export const KIND_GITHUB_CREATE_CHECK_RUN = "github.createCheckRun";
export const KIND_GITHUB_UPDATE_CHECK_RUN = "github.updateCheckRun";
export const KIND_GITHUB_SET_STATUS = "github.setStatus";
export const KIND_GITHUB_LIST_PR_FILES = "github.listPullRequestFiles";
export const KIND_GITHUB_MERGE_PR = "github.mergePullRequest";

/** Defaults of the shared config: binding names, base URL, the token refresh margin, retry limits. */
export const GITHUB_DEFAULTS = Object.freeze({
  appIdBinding: "GITHUB_APP_ID",
  privateKeyBinding: "GITHUB_PRIVATE_KEY",
  tokenBinding: "GITHUB_TOKEN",
  cacheBinding: "GITHUB_CACHE",
  /** A `var` binding that overrides the base URL for every node that does not set `config.baseUrl`. */
  baseUrlBinding: "GITHUB_API_URL",
  baseUrl: "https://api.github.com",
  apiVersion: "2022-11-28",
  userAgent: "flows-github/0.1",
  tokenMargin: "5m",
  maxRetries: 3,
  maxRetryWait: "20s",
  maxPages: 10,
  etagTtl: "1h",
  /** The shared rate budget (a `FlowsGitHubBudget` Durable Object per installation); see impl-docs/github.md. */
  budgetBinding: "GITHUB_BUDGET",
  /** Longest wait for a permit of the budget; a later start fails with GITHUB_BUDGET_EXHAUSTED. */
  maxWait: "20s",
  /** Calls of each window left to others (at most a tenth of the limit). */
  budgetReserve: 50,
  /** GitHub's secondary-limit guidance for content-creating calls: 1 s apart, at most 80 a minute, 500 an hour. */
  contentSpacing: "1s",
  contentPerMinute: 80,
  contentPerHour: 500,
  /** GitHub's cap on concurrent requests (REST and GraphQL together). */
  maxConcurrent: 100,
});

const BINDING_NAME: JsonSchema = { type: "string", pattern: "^[A-Z][A-Z0-9_]*$" };
const DURATION: JsonSchema = { type: "string", pattern: DURATION_PATTERN };

/** Config every GitHub kind takes. */
const SHARED_CONFIG: Record<string, JsonSchema> = {
  auth: {
    enum: ["auto", "app", "token"],
    description:
      "`app`: a GitHub App installation token (needs input `installationId`); `token`: a personal access token; `auto` (default): `app` when `installationId` is given, else `token`.",
  },
  appId: { ...BINDING_NAME, description: "Binding holding the App id (default GITHUB_APP_ID)." },
  privateKey: {
    ...BINDING_NAME,
    description:
      "Secret binding holding the App's PEM private key, PKCS#1 or PKCS#8 (default GITHUB_PRIVATE_KEY).",
  },
  token: {
    ...BINDING_NAME,
    description: "Secret binding holding a personal access token (default GITHUB_TOKEN).",
  },
  cache: {
    ...BINDING_NAME,
    description:
      "KV binding for installation tokens and ETags (default GITHUB_CACHE). Without it tokens are cached per isolate only and ETags are not used.",
  },
  baseUrl: {
    type: "string",
    pattern: "^https?://[^\\s]+$",
    description:
      "API base URL (GitHub Enterprise: https://HOST/api/v3). Else the GITHUB_API_URL var, else https://api.github.com.",
  },
  tokenMargin: {
    ...DURATION,
    description: "Refresh an installation token this long before it expires (default 5m).",
  },
  maxRetries: {
    type: "integer",
    minimum: 0,
    maximum: 10,
    description: "Retries inside the node on rate limits and (for idempotent methods) 5xx (default 3).",
  },
  maxRetryWait: {
    ...DURATION,
    description:
      "Longest wait inside the node before a retry (default 20s); a longer `retry-after` fails the attempt with GITHUB_RATE_LIMITED carrying the delay, for the kernel's retry policy.",
  },
  userAgent: { type: "string", minLength: 1 },
  budget: {
    anyOf: [BINDING_NAME, { const: false }],
    description:
      "Durable Object binding of the installation's shared rate budget (default GITHUB_BUDGET, class FlowsGitHubBudget; `flows package workers` declares it). Each call takes a permit first and reports GitHub's x-ratelimit-* headers after, so every isolate stays within the limit; without the binding in env, calls go unbudgeted. `false`: this node never uses it.",
  },
  maxWait: {
    ...DURATION,
    description:
      "Longest wait for a permit of the budget (default 20s); a longer wait fails with GITHUB_BUDGET_EXHAUSTED carrying it, for the kernel's retry policy. Keep it below the node's timeout.",
  },
  budgetReserve: {
    type: "integer",
    minimum: 0,
    description:
      "Calls of each rate-limit window the budget leaves to others (default 50; at most a tenth of the limit).",
  },
  contentSpacing: {
    ...DURATION,
    description:
      "Least time between two content-creating calls (POST, PATCH, PUT, DELETE) of one installation (default 1s, GitHub's guidance; also at most 80 a minute and 500 an hour).",
  },
};

const schema = (extra: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  properties: { ...SHARED_CONFIG, ...extra },
});

const ROUTE = "^(GET|HEAD|POST|PUT|PATCH|DELETE) /[^\\s]*$";
const READ_ROUTE = "^(GET|HEAD) /[^\\s]*$";

const PAGING: Record<string, JsonSchema> = {
  paginate: { type: "boolean", description: 'Follow `Link: rel="next"` and concatenate the pages\' items.' },
  maxPages: { type: "integer", minimum: 1, maximum: 100, description: "Most pages read (default 10)." },
  etag: { type: "boolean", description: "Conditional GETs with ETags cached in KV (default true)." },
  etagTtl: { ...DURATION, description: "How long a cached ETag and body are kept (default 1h)." },
};

const installationId: PortSpec = {
  description: "The App installation id (`trigger.installationId` in an app flow); omit in token mode.",
};
const repo = {
  owner: { required: true, description: "Repository owner (user or organisation login)." },
  repo: { required: true, description: "Repository name." },
} satisfies Record<string, PortSpec>;
const issueNumber: PortSpec = { required: true, description: "Issue or pull request number." };

const RESPONSE_OUTPUTS = { status: {}, headers: {}, body: {} };

const external = (
  kind: string,
  description: string,
  inputs: Record<string, PortSpec>,
  outputs: Record<string, PortSpec> = RESPONSE_OUTPUTS,
  extra: Record<string, JsonSchema> = {},
): NodeKindSpec => ({
  kind,
  description,
  effect: "external",
  determinism: "nondeterministic",
  inputs: { installationId, ...inputs },
  outputs,
  configSchema: schema(extra),
  defaultTimeout: "30s",
});

const request: NodeKindSpec = {
  kind: KIND_GITHUB_REQUEST,
  description:
    "Calls the GitHub REST API: `config.route` is `METHOD /path/{param}` (e.g. `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`). Input `params` fills the `{placeholders}` (URL-encoded); params the path does not use become the query string. Input `body` is sent as JSON. Outputs `status`, `headers` (lower-case), `body` (parsed JSON, or text), `fromCache` (true when a 304 answered a conditional GET), `pages` (with `paginate`), `truncated` (true when `maxPages` stopped pagination). A status ≥ 400 fails the node (GITHUB_REQUEST_FAILED; GITHUB_AUTH_FAILED for 401; GITHUB_RATE_LIMITED when the rate limit outlasts the retries). Any method, so effect `external`.",
  effect: "external",
  determinism: "nondeterministic",
  inputs: { installationId, params: {}, body: {}, headers: { description: "Extra request headers." } },
  outputs: { ...RESPONSE_OUTPUTS, fromCache: {}, pages: {}, truncated: {} },
  target: "config.route",
  configSchema: {
    ...schema({ route: { type: "string", pattern: ROUTE }, ...PAGING }),
    required: ["route"],
  },
  defaultTimeout: "30s",
};

const get: NodeKindSpec = {
  ...request,
  kind: KIND_GITHUB_GET,
  description:
    "`github.request` restricted to GET/HEAD routes, so effect `read` (the kernel retries it freely): conditional requests with ETags cached in KV (a 304 answers from the cache and does not count against the rate limit), and pagination with `paginate: true`.",
  effect: "read",
  determinism: "best_effort",
  inputs: { installationId, params: {}, headers: {} },
  configSchema: {
    ...schema({ route: { type: "string", pattern: READ_ROUTE }, ...PAGING }),
    required: ["route"],
  },
};

const comment = external(
  KIND_GITHUB_COMMENT,
  "Comments on an issue or pull request: `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`. `body` output is the created comment.",
  { ...repo, issue_number: issueNumber, body: { required: true, description: "Markdown text." } },
);

const addLabels = external(
  KIND_GITHUB_ADD_LABELS,
  "Adds labels to an issue or pull request: `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`. Input `labels` is a list of names (an empty list makes no request). `out` is the issue's label names after the call (null, like `status`, when no request was made).",
  { ...repo, issue_number: issueNumber, labels: { required: true } },
  { out: {}, status: {} },
);

const removeLabels = external(
  KIND_GITHUB_REMOVE_LABELS,
  "Removes labels from an issue or pull request: one `DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}` per label (a label that is not there, 404, is not an error). `out` is the list of labels actually removed.",
  { ...repo, issue_number: issueNumber, labels: { required: true } },
  { out: {} },
);

const closeIssue = external(
  KIND_GITHUB_CLOSE_ISSUE,
  "Closes an issue or pull request: `PATCH /repos/{owner}/{repo}/issues/{issue_number}` with `state: closed` and input `reason` (`completed`, `not_planned`; default `completed`). With input `comment`, first posts that comment.",
  { ...repo, issue_number: issueNumber, reason: {}, comment: {} },
);

const reopenIssue = external(
  KIND_GITHUB_REOPEN_ISSUE,
  "Reopens an issue or pull request: `PATCH /repos/{owner}/{repo}/issues/{issue_number}` with `state: open`.",
  { ...repo, issue_number: issueNumber },
);

const createCheckRun = external(
  KIND_GITHUB_CREATE_CHECK_RUN,
  "Creates a check run: `POST /repos/{owner}/{repo}/check-runs` with `name`, `head_sha` and the optional `status`, `conclusion`, `details_url`, `external_id`, `output` ({ title, summary, text, annotations }). App auth only (GitHub refuses tokens). `id` is the check run id.",
  {
    ...repo,
    name: { required: true },
    head_sha: { required: true },
    status: {},
    conclusion: {},
    details_url: {},
    external_id: {},
    output: {},
  },
  { ...RESPONSE_OUTPUTS, id: {} },
);

const updateCheckRun = external(
  KIND_GITHUB_UPDATE_CHECK_RUN,
  "Updates a check run: `PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}` with the given `name`, `status`, `conclusion`, `details_url`, `output`.",
  {
    ...repo,
    check_run_id: { required: true },
    name: {},
    status: {},
    conclusion: {},
    details_url: {},
    output: {},
  },
);

const setStatus = external(
  KIND_GITHUB_SET_STATUS,
  "Sets a commit status: `POST /repos/{owner}/{repo}/statuses/{sha}` with `state` (error, failure, pending, success) and the optional `context`, `description`, `target_url`.",
  {
    ...repo,
    sha: { required: true },
    state: { required: true },
    context: {},
    description: {},
    target_url: {},
  },
);

const listPrFiles: NodeKindSpec = {
  kind: KIND_GITHUB_LIST_PR_FILES,
  description:
    "Lists a pull request's changed files: `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`, 100 per page, following `Link` up to `config.maxPages` (default 30: GitHub lists at most 3,000 files). `out` is the files ({ filename, status, additions, deletions, changes, … }); `truncated` is true when pages were left.",
  effect: "read",
  determinism: "best_effort",
  inputs: { installationId, ...repo, pull_number: { required: true } },
  outputs: { out: {}, pages: {}, truncated: {} },
  configSchema: schema({ maxPages: PAGING.maxPages!, etag: PAGING.etag!, etagTtl: PAGING.etagTtl! }),
  defaultTimeout: "30s",
};

const mergePr = external(
  KIND_GITHUB_MERGE_PR,
  "Merges a pull request: `PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge` with the optional `merge_method` (merge, squash, rebase), `sha` (merge only if the head is still this commit), `commit_title`, `commit_message`. `merged` is true on success; a PR that cannot be merged fails with GITHUB_REQUEST_FAILED (405/409).",
  {
    ...repo,
    pull_number: { required: true },
    merge_method: {},
    sha: {},
    commit_title: {},
    commit_message: {},
  },
  { ...RESPONSE_OUTPUTS, merged: {} },
);

/** The GitHub kinds' specs, keyed by kind name. */
export const GITHUB_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_GITHUB_REQUEST]: request,
  [KIND_GITHUB_GET]: get,
  [KIND_GITHUB_COMMENT]: comment,
  [KIND_GITHUB_ADD_LABELS]: addLabels,
  [KIND_GITHUB_REMOVE_LABELS]: removeLabels,
  [KIND_GITHUB_CLOSE_ISSUE]: closeIssue,
  [KIND_GITHUB_REOPEN_ISSUE]: reopenIssue,
  [KIND_GITHUB_CREATE_CHECK_RUN]: createCheckRun,
  [KIND_GITHUB_UPDATE_CHECK_RUN]: updateCheckRun,
  [KIND_GITHUB_SET_STATUS]: setStatus,
  [KIND_GITHUB_LIST_PR_FILES]: listPrFiles,
  [KIND_GITHUB_MERGE_PR]: mergePr,
});

/**
 * GitHub as a capability: kinds `github.*`. Their bindings are secrets (App id, private key, token: set with
 * `wrangler secret put`, never in wrangler.toml) and an optional KV namespace (declared by the KV capability),
 * so the wrangler fragment is empty.
 */
export const GITHUB_DECLARATION = defineCapability({
  name: "github",
  codes: GITHUB_CODES,
  bindingType: "secret",
  kinds: GITHUB_KIND_SPECS,
  runtime: { module: "flows-runtime/capabilities/github/kinds", export: "GITHUB_KINDS" },
  wrangler: () => ({}),
});
