import { type NodeContext, parseDuration } from "../../../kernel/index.ts";
import { hasMethods } from "../../binding.ts";
import type { BudgetPolicy } from "../budget/budget.ts";
import type { BudgetNamespace } from "../budget/client.ts";
import { GITHUB_DEFAULTS } from "../declaration.ts";

/** The shared rate budget of a node's calls, when `env` has its binding (see `budget/client.ts`). */
export interface BudgetSettings {
  readonly binding: string;
  readonly namespace: BudgetNamespace;
  /** Longest wait for a permit (`config.maxWait`). */
  readonly maxWaitMs: number;
  readonly policy: BudgetPolicy;
}

/** A node's GitHub settings: its static config resolved against the defaults and `env`. */
export interface GitHubSettings {
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly userAgent: string;
  readonly maxRetries: number;
  readonly maxRetryWaitMs: number;
  readonly tokenMarginMs: number;
  readonly etagTtlMs: number;
  readonly maxPages: number;
  readonly etag: boolean;
  /** The KV namespace for tokens and ETags, when `env` has one under the cache binding name. */
  readonly cache: KVNamespace | undefined;
  readonly appIdBinding: string;
  readonly privateKeyBinding: string;
  readonly tokenBinding: string;
  /** The shared rate budget, when `env` has a Durable Object namespace under its binding name (`config.budget`). */
  readonly budget: BudgetSettings | undefined;
}

const durationOr = (value: unknown, fallback: string): number =>
  parseDuration(typeof value === "string" ? value : fallback) ?? parseDuration(fallback)!;

const nameOr = (value: unknown, fallback: string): string =>
  typeof value === "string" && value !== "" ? value : fallback;

/** True when `value` looks like a KV namespace (has get, put, delete). */
export const isKv = (value: unknown): value is KVNamespace => hasMethods(value, "get", "put", "delete");

/** True when `value` looks like a Durable Object namespace (has idFromName, get). */
const isNamespace = (value: unknown): value is BudgetNamespace => hasMethods(value, "idFromName", "get");

/** The budget settings: undefined with `config.budget: false` or when `env` has no namespace of that name. */
function budgetSettings(ctx: NodeContext): BudgetSettings | undefined {
  const c = ctx.config;
  if (c.budget === false) return undefined;
  const binding = nameOr(c.budget, GITHUB_DEFAULTS.budgetBinding);
  const namespace = Object.hasOwn(ctx.env, binding) ? ctx.env[binding] : undefined;
  if (!isNamespace(namespace)) return undefined;
  return {
    binding,
    namespace,
    maxWaitMs: durationOr(c.maxWait, GITHUB_DEFAULTS.maxWait),
    policy: {
      ...DEFAULT_BUDGET_POLICY,
      reserve: typeof c.budgetReserve === "number" ? c.budgetReserve : GITHUB_DEFAULTS.budgetReserve,
      contentSpacingMs: durationOr(c.contentSpacing, GITHUB_DEFAULTS.contentSpacing),
    },
  };
}

/** Clock skew allowed for between the budget and GitHub: a new window is used 1 s after its reset. */
const BUDGET_SKEW_MS = 1_000;
/** A permit whose call never reported (the isolate was lost) is released a minute after its start. */
const BUDGET_LEASE_MS = 60_000;
/** How soon a caller asks again while the budget learns (its first call is out, a window just rolled). */
const BUDGET_RETRY_MS = 250;

/** The budget's policy for a node that sets none of `budgetReserve` and `contentSpacing`. */
export const DEFAULT_BUDGET_POLICY: BudgetPolicy = Object.freeze({
  reserve: GITHUB_DEFAULTS.budgetReserve,
  contentSpacingMs: durationOr(undefined, GITHUB_DEFAULTS.contentSpacing),
  contentPerMinute: GITHUB_DEFAULTS.contentPerMinute,
  contentPerHour: GITHUB_DEFAULTS.contentPerHour,
  maxConcurrent: GITHUB_DEFAULTS.maxConcurrent,
  skewMs: BUDGET_SKEW_MS,
  leaseMs: BUDGET_LEASE_MS,
  retryMs: BUDGET_RETRY_MS,
});

/**
 * Resolves a node's settings. The base URL is `config.baseUrl`, else a `GITHUB_API_URL` var in `env`, else
 * https://api.github.com. The cache is `env[config.cache ?? "GITHUB_CACHE"]` when that is a KV namespace.
 */
export function githubSettings(
  ctx: NodeContext,
  defaultMaxPages: number = GITHUB_DEFAULTS.maxPages,
): GitHubSettings {
  const c = ctx.config;
  const envBase = ctx.env[GITHUB_DEFAULTS.baseUrlBinding];
  const base =
    typeof c.baseUrl === "string"
      ? c.baseUrl
      : typeof envBase === "string" && /^https?:\/\//.test(envBase)
        ? envBase
        : GITHUB_DEFAULTS.baseUrl;
  const cacheName = nameOr(c.cache, GITHUB_DEFAULTS.cacheBinding);
  const cache = Object.hasOwn(ctx.env, cacheName) ? ctx.env[cacheName] : undefined;
  return {
    baseUrl: base.replace(/\/+$/, ""),
    userAgent: nameOr(c.userAgent, GITHUB_DEFAULTS.userAgent),
    maxRetries: typeof c.maxRetries === "number" ? c.maxRetries : GITHUB_DEFAULTS.maxRetries,
    maxRetryWaitMs: durationOr(c.maxRetryWait, GITHUB_DEFAULTS.maxRetryWait),
    tokenMarginMs: durationOr(c.tokenMargin, GITHUB_DEFAULTS.tokenMargin),
    etagTtlMs: durationOr(c.etagTtl, GITHUB_DEFAULTS.etagTtl),
    maxPages: typeof c.maxPages === "number" ? c.maxPages : defaultMaxPages,
    etag: c.etag !== false,
    cache: isKv(cache) ? cache : undefined,
    appIdBinding: nameOr(c.appId, GITHUB_DEFAULTS.appIdBinding),
    privateKeyBinding: nameOr(c.privateKey, GITHUB_DEFAULTS.privateKeyBinding),
    tokenBinding: nameOr(c.token, GITHUB_DEFAULTS.tokenBinding),
    budget: budgetSettings(ctx),
  };
}

/** Lower-case hex SHA-256 of a string (cache keys never hold a token or an unbounded URL). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let out = "";
  for (const byte of digest) out += byte.toString(16).padStart(2, "0");
  return out;
}
