import {
  createRegistry,
  FlowError,
  type KindRegistry,
  type NodeContext,
  type NodeKind,
} from "../../kernel/index.ts";
import { describe, inputError } from "../inputs.ts";
import { credentials } from "./auth/tokens.ts";
import { flushBudget } from "./budget/client.ts";
import {
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
import {
  expandRoute,
  type GitHubResponse,
  type Method,
  paginate,
  queryString,
  request,
} from "./rest/client.ts";
import { type GitHubSettings, githubSettings } from "./rest/settings.ts";

/** The run-time half of GitHub: every kind is a route plus how its inputs become params and a body. */

const spec = (name: string) => GITHUB_KIND_SPECS[name]!;

/** A required input that goes into a URL path: a non-empty string or a whole number. */
function pathInput(ctx: NodeContext, name: string): string | number {
  const value = ctx.inputs[name];
  if ((typeof value === "string" && value !== "") || (typeof value === "number" && Number.isInteger(value)))
    return value;
  throw inputError(ctx, name, `must be a non-empty string or a whole number, got ${describe(value)}`);
}

function objectInput(ctx: NodeContext, name: string): Record<string, unknown> {
  const value = ctx.inputs[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw inputError(ctx, name, `must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Input `labels`: a list of non-empty strings (one string is a list of one). */
function labelsInput(ctx: NodeContext): string[] {
  const raw = ctx.inputs.labels;
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((l) => typeof l === "string" && l !== ""))
    throw inputError(ctx, "labels", `must be a list of label names, got ${describe(raw)}`);
  return list as string[];
}

/** The given optional inputs, as a request body. */
function pick(ctx: NodeContext, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = ctx.inputs[name];
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

interface Call {
  method: Method;
  route: string;
  params: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string>;
}

function prepare(ctx: NodeContext, settings: GitHubSettings, call: Call) {
  const { path, rest } = expandRoute(ctx, call.route, call.params);
  return {
    method: call.method,
    route: call.route,
    url: `${settings.baseUrl}${path}${queryString(ctx, rest)}`,
    ...(call.body === undefined ? {} : { body: call.body }),
    ...(call.headers ? { headers: call.headers } : {}),
  };
}

/** One authenticated call of this node. */
async function call(ctx: NodeContext, c: Call, settings = githubSettings(ctx)): Promise<GitHubResponse> {
  const req = prepare(ctx, settings, c);
  return request(ctx, settings, await credentials(ctx, settings), req);
}

const response = (r: GitHubResponse) => ({ status: r.status, headers: r.headers, body: r.body });

function routeOf(ctx: NodeContext): { method: Method; route: string } {
  const text = String(ctx.config.route);
  const space = text.indexOf(" ");
  return { method: text.slice(0, space) as Method, route: text.slice(space + 1) };
}

function headersInput(ctx: NodeContext): Record<string, string> | undefined {
  const raw = objectInput(ctx, "headers");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.toLowerCase() === "authorization")
      throw inputError(ctx, "headers", "must not set authorization (the node authenticates itself)");
    out[name] = String(value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

async function runRequest(ctx: NodeContext, allowBody: boolean) {
  const { method, route } = routeOf(ctx);
  const settings = githubSettings(ctx);
  const headers = headersInput(ctx);
  const c: Call = {
    method,
    route,
    params: objectInput(ctx, "params"),
    ...(allowBody && ctx.inputs.body !== undefined ? { body: ctx.inputs.body } : {}),
    ...(headers ? { headers } : {}),
  };
  if (ctx.config.paginate === true && (method === "GET" || method === "HEAD")) {
    const req = prepare(ctx, settings, c);
    const pages = await paginate(ctx, settings, await credentials(ctx, settings), req);
    return { ...response(pages), fromCache: pages.fromCache, pages: pages.pages, truncated: pages.truncated };
  }
  const r = await call(ctx, c, settings);
  return { ...response(r), fromCache: r.fromCache, pages: 1, truncated: false };
}

export const githubRequestKind: NodeKind = {
  spec: spec(KIND_GITHUB_REQUEST),
  run: (ctx) => runRequest(ctx, true),
};

export const githubGetKind: NodeKind = {
  spec: spec(KIND_GITHUB_GET),
  run: (ctx) => runRequest(ctx, false),
};

const repoParams = (ctx: NodeContext) => ({ owner: pathInput(ctx, "owner"), repo: pathInput(ctx, "repo") });
const ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}";
const issueParams = (ctx: NodeContext) => ({
  ...repoParams(ctx),
  issue_number: pathInput(ctx, "issue_number"),
});

export const githubCommentKind: NodeKind = {
  spec: spec(KIND_GITHUB_COMMENT),
  run: async (ctx) => {
    const body = ctx.inputs.body;
    if (typeof body !== "string" || body.trim() === "")
      throw inputError(ctx, "body", `must be a non-empty string, got ${describe(body)}`);
    return response(
      await call(ctx, {
        method: "POST",
        route: `${ISSUE}/comments`,
        params: issueParams(ctx),
        body: { body },
      }),
    );
  },
};

export const githubAddLabelsKind: NodeKind = {
  spec: spec(KIND_GITHUB_ADD_LABELS),
  run: async (ctx) => {
    const params = issueParams(ctx);
    const labels = labelsInput(ctx);
    if (labels.length === 0) return { out: null, status: null };
    const r = await call(ctx, { method: "POST", route: `${ISSUE}/labels`, params, body: { labels } });
    const names = Array.isArray(r.body) ? r.body.map((l) => (l as { name?: unknown }).name) : null;
    return { out: names, status: r.status };
  },
};

export const githubRemoveLabelsKind: NodeKind = {
  spec: spec(KIND_GITHUB_REMOVE_LABELS),
  run: async (ctx) => {
    const params = issueParams(ctx);
    const removed: string[] = [];
    for (const name of labelsInput(ctx)) {
      try {
        await call(ctx, { method: "DELETE", route: `${ISSUE}/labels/{name}`, params: { ...params, name } });
        removed.push(name);
      } catch (error) {
        const status = (error as FlowError).details as { status?: number } | undefined;
        if (!(error instanceof FlowError && status?.status === 404)) throw error;
      }
    }
    return { out: removed };
  },
};

export const githubCloseIssueKind: NodeKind = {
  spec: spec(KIND_GITHUB_CLOSE_ISSUE),
  run: async (ctx) => {
    const params = issueParams(ctx);
    const reason = ctx.inputs.reason ?? "completed";
    if (reason !== "completed" && reason !== "not_planned")
      throw inputError(ctx, "reason", `must be completed or not_planned, got ${describe(reason)}`);
    const comment = ctx.inputs.comment;
    if (typeof comment === "string" && comment.trim() !== "")
      await call(ctx, { method: "POST", route: `${ISSUE}/comments`, params, body: { body: comment } });
    return response(
      await call(ctx, {
        method: "PATCH",
        route: ISSUE,
        params,
        body: { state: "closed", state_reason: reason },
      }),
    );
  },
};

export const githubReopenIssueKind: NodeKind = {
  spec: spec(KIND_GITHUB_REOPEN_ISSUE),
  run: async (ctx) =>
    response(
      await call(ctx, { method: "PATCH", route: ISSUE, params: issueParams(ctx), body: { state: "open" } }),
    ),
};

const CHECK_FIELDS = ["name", "status", "conclusion", "details_url", "external_id", "output"] as const;

export const githubCreateCheckRunKind: NodeKind = {
  spec: spec(KIND_GITHUB_CREATE_CHECK_RUN),
  run: async (ctx) => {
    const body = {
      ...pick(ctx, CHECK_FIELDS),
      name: pathInput(ctx, "name"),
      head_sha: pathInput(ctx, "head_sha"),
    };
    const r = await call(ctx, {
      method: "POST",
      route: "/repos/{owner}/{repo}/check-runs",
      params: repoParams(ctx),
      body,
    });
    return { ...response(r), id: (r.body as { id?: unknown } | null)?.id ?? null };
  },
};

export const githubUpdateCheckRunKind: NodeKind = {
  spec: spec(KIND_GITHUB_UPDATE_CHECK_RUN),
  run: async (ctx) =>
    response(
      await call(ctx, {
        method: "PATCH",
        route: "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        params: { ...repoParams(ctx), check_run_id: pathInput(ctx, "check_run_id") },
        body: pick(ctx, CHECK_FIELDS),
      }),
    ),
};

const STATES = new Set(["error", "failure", "pending", "success"]);

export const githubSetStatusKind: NodeKind = {
  spec: spec(KIND_GITHUB_SET_STATUS),
  run: async (ctx) => {
    const state = ctx.inputs.state;
    if (typeof state !== "string" || !STATES.has(state))
      throw inputError(ctx, "state", `must be error, failure, pending or success, got ${describe(state)}`);
    return response(
      await call(ctx, {
        method: "POST",
        route: "/repos/{owner}/{repo}/statuses/{sha}",
        params: { ...repoParams(ctx), sha: pathInput(ctx, "sha") },
        body: { state, ...pick(ctx, ["context", "description", "target_url"]) },
      }),
    );
  },
};

/** GitHub lists at most 3,000 files of a pull request: 30 pages of 100. */
const PR_FILES_MAX_PAGES = 30;

export const githubListPrFilesKind: NodeKind = {
  spec: spec(KIND_GITHUB_LIST_PR_FILES),
  run: async (ctx) => {
    const settings = githubSettings(ctx, PR_FILES_MAX_PAGES);
    const req = prepare(ctx, settings, {
      method: "GET",
      route: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
      params: { ...repoParams(ctx), pull_number: pathInput(ctx, "pull_number"), per_page: 100 },
    });
    const result = await paginate(ctx, settings, await credentials(ctx, settings), req);
    return { out: result.items, pages: result.pages, truncated: result.truncated };
  },
};

const MERGE_METHODS = new Set(["merge", "squash", "rebase"]);

export const githubMergePrKind: NodeKind = {
  spec: spec(KIND_GITHUB_MERGE_PR),
  run: async (ctx) => {
    const method = ctx.inputs.merge_method;
    if (method !== undefined && method !== null && !MERGE_METHODS.has(String(method)))
      throw inputError(ctx, "merge_method", `must be merge, squash or rebase, got ${describe(method)}`);
    const r = await call(ctx, {
      method: "PUT",
      route: "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
      params: { ...repoParams(ctx), pull_number: pathInput(ctx, "pull_number") },
      body: pick(ctx, ["merge_method", "sha", "commit_title", "commit_message"]),
    });
    return { ...response(r), merged: (r.body as { merged?: unknown } | null)?.merged === true };
  },
};

/** A kind that, when it ends, sends the shared budget what its last call taught (see `budget/client.ts`). */
const budgeted = (kind: NodeKind): NodeKind => ({
  ...kind,
  run: async (ctx) => {
    try {
      return await kind.run(ctx);
    } finally {
      await flushBudget(ctx);
    }
  },
});

/** The GitHub kinds, keyed by kind name. */
export const GITHUB_KINDS: KindRegistry = createRegistry(
  ...[
    githubRequestKind,
    githubGetKind,
    githubCommentKind,
    githubAddLabelsKind,
    githubRemoveLabelsKind,
    githubCloseIssueKind,
    githubReopenIssueKind,
    githubCreateCheckRunKind,
    githubUpdateCheckRunKind,
    githubSetStatusKind,
    githubListPrFilesKind,
    githubMergePrKind,
  ].map(budgeted),
);
