import { type FlowError, type NodeContext, RetryAfterError } from "../../../kernel/index.ts";
import { capabilityError } from "../../codes.ts";
import { inputError } from "../../inputs.ts";
import { acquire, release } from "../budget/client.ts";
import { GITHUB_DEFAULTS } from "../declaration.ts";
import type { GitHubSettings } from "./settings.ts";
import { sha256Hex } from "./settings.ts";

/**
 * The GitHub REST client of every `github.*` kind: one request with retries on rate limits and 5xx, conditional
 * GETs with ETags cached in KV, and `Link` pagination. Every wait and every fetch takes the node's signal, so a
 * node timeout or a cancelled run stops it at once.
 */

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Credentials for one call: the `authorization` header value and a cache identity that holds no secret. */
export interface Credentials {
  readonly authorization: string;
  /** `app:<appId>:<installationId>` or `token:<sha256 of the token>`: keys ETag entries per identity. */
  readonly identity: string;
  /** Drops a cached installation token after a 401 and returns fresh credentials (app mode only). */
  readonly renew?: () => Promise<Credentials>;
}

export interface GitHubRequest {
  method: Method;
  /** The route as written (`/repos/{owner}/{repo}`), for messages. */
  route: string;
  /** Absolute URL. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the method's own idempotency (a POST that only creates a token may be sent again). */
  idempotent?: boolean;
  /** `false`: no permit from the shared budget (the installation-token request, counted against the App). */
  budget?: false;
}

export interface GitHubResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  fromCache: boolean;
}

/** Methods that may be sent again after a 5xx or a lost response: GitHub applies them idempotently. */
const IDEMPOTENT: ReadonlySet<Method> = new Set(["GET", "HEAD", "PUT", "PATCH", "DELETE"]);
const BACKOFF_MS = 1_000;

/** Fills `{name}` (URL-encoded) and `{+name}` (reserved characters kept) from `params`; the rest is returned. */
export function expandRoute(
  ctx: NodeContext,
  path: string,
  params: Record<string, unknown>,
): { path: string; rest: Record<string, unknown> } {
  const rest = { ...params };
  const expanded = path.replace(/\{(\+?)([A-Za-z0-9_]+)\}/g, (_, plus: string, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === "")
      throw inputError(ctx, "params", `has no value for \`{${name}}\` of route ${path}`);
    if (typeof value === "object") throw inputError(ctx, "params", `\`${name}\` must be a string or number`);
    delete rest[name];
    const text = String(value);
    return plus ? encodeURI(text) : encodeURIComponent(text);
  });
  return { path: expanded, rest };
}

/** `?a=1&labels=x,y` from leftover params (lists joined by commas, as GitHub reads them). */
export function queryString(ctx: NodeContext, params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) search.set(name, value.map(String).join(","));
    else if (typeof value === "object") throw inputError(ctx, "params", `\`${name}\` must not be an object`);
    else search.set(name, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/**
 * How long GitHub asks us to wait, or undefined when the response is not a rate limit: 403/429 with
 * `retry-after` (secondary limit: that many seconds), with `x-ratelimit-remaining: 0` (primary limit: until
 * `x-ratelimit-reset`, plus 1 s for clock skew), or a bare 429 (GitHub says: at least a minute).
 */
export function rateLimitDelay(response: Response, nowMs: number): number | undefined {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter !== null && /^[0-9]+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1_000;
  if (response.headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(response.headers.get("x-ratelimit-reset"));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1_000 - nowMs) + 1_000;
    return 60_000;
  }
  return response.status === 429 ? 60_000 : undefined;
}

async function errorBody(response: Response): Promise<{ message?: string; documentationUrl?: string }> {
  try {
    const data = (await response.json()) as { message?: unknown; documentation_url?: unknown };
    return {
      ...(typeof data.message === "string" ? { message: data.message.slice(0, 500) } : {}),
      ...(typeof data.documentation_url === "string" ? { documentationUrl: data.documentation_url } : {}),
    };
  } catch {
    return {};
  }
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free.
  }
}

/** Where an error happened, without the query string (it may hold tokens of other services). */
const where = (req: GitHubRequest): string => `${req.method} ${req.route}`;

/**
 * Sends one request, retrying inside the node (at most `settings.maxRetries` times) on:
 * - rate limits (any method: GitHub did not execute a rate-limited request), after GitHub's delay when it is at
 *   most `maxRetryWait`; a longer one fails at once with GITHUB_RATE_LIMITED carrying the delay;
 * - 5xx and network errors, for idempotent methods only, after `retry-after` or 1 s, 2 s, 4 s… (capped by
 *   `maxRetryWait`). A POST fails with a retriable GITHUB_REQUEST_FAILED: the node's retry policy decides, and
 *   the kernel retries an `external` node only with an idempotency key or `retry.idempotent: true`;
 * - a 401 in app mode, once, with a fresh installation token.
 * With the shared budget (`settings.budget`), every attempt first takes a permit (waiting, or failing with
 * GITHUB_BUDGET_EXHAUSTED past `maxWait`) and hands the answer's rate-limit headers back to it.
 * Resolves to a 2xx or 304 response; every other status throws.
 */
export async function send(
  ctx: NodeContext,
  settings: GitHubSettings,
  credentials: Credentials,
  req: GitHubRequest,
  conditional?: { etag: string },
): Promise<Response> {
  let creds = credentials;
  let renewed = false;
  for (let attempt = 0; ; attempt++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const headers = new Headers({
      accept: "application/vnd.github+json",
      "user-agent": settings.userAgent,
      "x-github-api-version": GITHUB_DEFAULTS.apiVersion,
      authorization: creds.authorization,
    });
    for (const [name, value] of Object.entries(req.headers ?? {})) headers.set(name, value);
    if (conditional) headers.set("if-none-match", conditional.etag);
    const hasBody =
      req.body !== undefined && req.body !== null && req.method !== "GET" && req.method !== "HEAD";
    if (hasBody) headers.set("content-type", "application/json; charset=utf-8");
    const idempotent = req.idempotent ?? IDEMPOTENT.has(req.method);
    const canRetry = attempt < settings.maxRetries;
    const permit =
      settings.budget && req.budget !== false
        ? await acquire(ctx, settings.budget, settings.baseUrl, creds.identity, req)
        : undefined;
    let response: Response;
    try {
      response = await ctx.fetch(req.url, {
        method: req.method,
        headers,
        body: hasBody ? JSON.stringify(req.body) : null,
        signal: ctx.signal,
      });
    } catch (error) {
      release(permit);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (idempotent && canRetry) {
        await ctx.sleep(Math.min(BACKOFF_MS * 2 ** attempt, settings.maxRetryWaitMs));
        continue;
      }
      throw capabilityError("GITHUB_REQUEST_FAILED", `GitHub ${where(req)} failed: no response`, {
        cause: error,
        retriable: true,
        details: { method: req.method, route: req.route },
      });
    }
    release(permit, response);
    if (response.ok || (response.status === 304 && conditional)) return response;

    const wait = rateLimitDelay(response, ctx.clock.now());
    if (wait !== undefined) {
      await discard(response);
      if (canRetry && wait <= settings.maxRetryWaitMs) {
        ctx.log("warn", `GitHub rate limit on ${where(req)}; retrying in ${wait}ms`, {
          attempt: attempt + 1,
        });
        await ctx.sleep(wait);
        continue;
      }
      throw new RetryAfterError(
        wait,
        `GitHub rate limit on ${where(req)}: retry after ${Math.ceil(wait / 1_000)}s`,
        {
          code: "GITHUB_RATE_LIMITED",
          status: 429,
          expose: true,
          details: { method: req.method, route: req.route, status: response.status, retryAfterMs: wait },
        },
      );
    }
    if (response.status >= 500) {
      const retryAfter = response.headers.get("retry-after");
      const delay =
        retryAfter !== null && /^[0-9]+$/.test(retryAfter)
          ? Number(retryAfter) * 1_000
          : Math.min(BACKOFF_MS * 2 ** attempt, settings.maxRetryWaitMs);
      if (idempotent && canRetry && delay <= settings.maxRetryWaitMs) {
        await discard(response);
        await ctx.sleep(delay);
        continue;
      }
    }
    if (response.status === 401 && creds.renew && !renewed) {
      await discard(response);
      renewed = true;
      creds = await creds.renew();
      continue;
    }
    throw await failure(response, req);
  }
}

async function failure(response: Response, req: GitHubRequest): Promise<FlowError> {
  const info = await errorBody(response);
  const requestId = response.headers.get("x-github-request-id");
  const details = {
    method: req.method,
    route: req.route,
    status: response.status,
    ...info,
    ...(requestId ? { requestId } : {}),
  };
  const said = info.message ? `: ${info.message}` : "";
  if (response.status === 401)
    return capabilityError("GITHUB_AUTH_FAILED", `GitHub ${where(req)} answered 401${said}`, { details });
  return capabilityError("GITHUB_REQUEST_FAILED", `GitHub ${where(req)} answered ${response.status}${said}`, {
    details,
    retriable: response.status >= 500,
  });
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205) return null;
  const type = response.headers.get("content-type") ?? "";
  const text = await response.text();
  if (text === "") return null;
  if (/[/+]json\b/.test(type)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

interface CachedEntry {
  etag: string;
  status: number;
  body: unknown;
  link?: string;
}

/**
 * One call with a parsed body. A GET with `settings.etag` and a cache sends `If-None-Match` with the ETag
 * cached for this identity and URL; a 304 (which does not count against GitHub's rate limit) answers with the
 * cached body (`fromCache: true`). Cache keys are SHA-256 hashes of identity + URL: no token, no unbounded key.
 */
export async function request(
  ctx: NodeContext,
  settings: GitHubSettings,
  credentials: Credentials,
  req: GitHubRequest,
): Promise<GitHubResponse> {
  const kv = req.method === "GET" && settings.etag ? settings.cache : undefined;
  const key = kv ? `github/etag/${await sha256Hex(`${credentials.identity}\n${req.url}`)}` : undefined;
  let cached: CachedEntry | null = null;
  if (kv && key) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    cached = await kv.get<CachedEntry>(key, "json").catch(() => null);
  }
  const response = await send(ctx, settings, credentials, req, cached ? { etag: cached.etag } : undefined);
  const headers = headersOf(response);
  if (response.status === 304 && cached) {
    await discard(response);
    return {
      status: cached.status,
      headers: { ...headers, ...(cached.link ? { link: cached.link } : {}) },
      body: cached.body,
      fromCache: true,
    };
  }
  const body = await parse(response);
  const etag = response.headers.get("etag");
  if (kv && key && etag) {
    const entry: CachedEntry = {
      etag,
      status: response.status,
      body,
      ...(headers.link ? { link: headers.link } : {}),
    };
    const ttl = Math.max(60, Math.round(settings.etagTtlMs / 1_000));
    // A cache write that fails costs a later 200 instead of a 304; the call itself succeeded.
    await kv.put(key, JSON.stringify(entry), { expirationTtl: ttl }).catch((error: unknown) => {
      ctx.log("warn", "could not cache a GitHub ETag", { error: String(error) });
    });
  }
  return { status: response.status, headers, body, fromCache: false };
}

/** The `rel="next"` URL of a `Link` header. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (match && match[2]!.split(/\s+/).includes("next")) return match[1];
  }
  return undefined;
}

/** The items of one page: the page itself when it is a list, else its first list-valued field (`check_runs`). */
function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object")
    for (const value of Object.values(body)) if (Array.isArray(value)) return value;
  return [];
}

export interface Paginated extends GitHubResponse {
  items: unknown[];
  pages: number;
  truncated: boolean;
}

/**
 * Reads up to `settings.maxPages` pages, following `Link: rel="next"`, and concatenates their items. A next
 * link to another origin than the base URL is not followed (the token must only go to GitHub).
 */
export async function paginate(
  ctx: NodeContext,
  settings: GitHubSettings,
  credentials: Credentials,
  req: GitHubRequest,
): Promise<Paginated> {
  const origin = new URL(settings.baseUrl).origin;
  const items: unknown[] = [];
  let url: string | undefined = req.url;
  let pages = 0;
  let first: GitHubResponse | undefined;
  let fromCache = true;
  while (url !== undefined && pages < settings.maxPages) {
    const page = await request(ctx, settings, credentials, { ...req, url });
    first ??= page;
    fromCache &&= page.fromCache;
    pages++;
    items.push(...itemsOf(page.body));
    const next = nextLink(page.headers.link);
    if (next !== undefined && new URL(next, url).origin !== origin) {
      throw capabilityError(
        "GITHUB_REQUEST_FAILED",
        `GitHub ${where(req)}: a next page link leaves ${origin}`,
        {
          details: { method: req.method, route: req.route },
        },
      );
    }
    url = next === undefined ? undefined : new URL(next, url).href;
  }
  return {
    status: first!.status,
    headers: first!.headers,
    body: items,
    fromCache,
    items,
    pages,
    truncated: url !== undefined,
  };
}
