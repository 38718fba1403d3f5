import { abortable, type NodeContext, RetryAfterError } from "../../../kernel/index.ts";
import type { BudgetSettings } from "../rest/settings.ts";
import type { BudgetAnswer, BudgetPolicy, BudgetReport, BudgetTake, BudgetWhy } from "./budget.ts";
import { RefusalMemory } from "./refusals.ts";

/**
 * The REST client's side of the shared rate budget (`FlowsGitHubBudget`, one object per installation or token):
 * before each call `acquire` takes a permit, waiting (on the node's signal) when the budget says so; after it,
 * `release` keeps the response's `x-ratelimit-*` headers, which the node's next take carries (one round trip per
 * call, not two); `flushBudget` sends what is left when the node ends. A lasting refusal (a spent window, a pause)
 * is remembered in the isolate until it lifts, and the calls meanwhile are answered without a round trip
 * (`refusals.ts`). No `cloudflare:*` import: the object is reached through its namespace in `env`.
 */

/** The RPC surface of `FlowsGitHubBudget` the client calls (a stub of the real object fits). */
export interface BudgetStub {
  take(take: BudgetTake): Promise<BudgetAnswer>;
  report(policy: BudgetPolicy, reports: readonly BudgetReport[]): Promise<void>;
}

/** A Durable Object namespace of budgets (`env.GITHUB_BUDGET`), or a stand-in with the same two methods. */
export interface BudgetNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): unknown;
}

interface Session {
  readonly stub: BudgetStub;
  readonly settings: BudgetSettings;
  readonly identity: string;
  /** The budget's name in the isolate's refusal memory: binding and identity. */
  readonly budget: string;
  /** Reports not sent yet: they go with the next take, or with `flushBudget`. */
  readonly pending: BudgetReport[];
}

/** A permit held by one attempt of a call; `release` it once the call has an answer (or none). */
export interface Permit {
  readonly session: Session;
  readonly id: string;
  readonly resource: string;
}

/** What the budget needs of a request. */
export interface BudgetedRequest {
  readonly method: string;
  readonly route: string;
  readonly url: string;
  readonly body?: unknown;
}

/** Budget sessions of a node attempt, by identity (a WeakMap: a context that is gone takes its sessions along). */
const sessions = new WeakMap<NodeContext, Map<string, Session>>();

/** The isolate's lasting refusals, shared by every request it serves (plain data: no I/O crosses requests). */
const refusals = new RefusalMemory();

function sessionOf(ctx: NodeContext, settings: BudgetSettings, identity: string): Session {
  let byIdentity = sessions.get(ctx);
  if (!byIdentity) {
    byIdentity = new Map();
    sessions.set(ctx, byIdentity);
  }
  let session = byIdentity.get(identity);
  if (!session) {
    const stub = settings.namespace.get(settings.namespace.idFromName(identity)) as BudgetStub;
    session = { stub, settings, identity, budget: `${settings.binding}\n${identity}`, pending: [] };
    byIdentity.set(identity, session);
  }
  return session;
}

/** GitHub's rate-limit resource of a call, guessed from its path (the answer's `x-ratelimit-resource` says). */
export function resourceOf(baseUrl: string, url: string): string {
  const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) : new URL(url).pathname;
  if (/^\/graphql(?:[/?]|$)/.test(path)) return "graphql";
  if (/^\/search\/code(?:[/?]|$)/.test(path)) return "code_search";
  if (/^\/search\//.test(path)) return "search";
  return "core";
}

const CONTENT_METHODS: ReadonlySet<string> = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * True for a call that creates content in GitHub's sense (secondary limits): POST, PATCH, PUT and DELETE, except
 * a GraphQL query (only a `mutation` creates content).
 */
export function isContentCreating(req: BudgetedRequest, resource: string): boolean {
  if (!CONTENT_METHODS.has(req.method)) return false;
  if (resource !== "graphql") return true;
  const query = (req.body as { query?: unknown } | null | undefined)?.query;
  return typeof query === "string" && /^\s*mutation\b/.test(query);
}

/** `app:<appId>:<installationId>` → "installation 4242"; a token's identity (a hash) → "the token". */
function whose(identity: string): string {
  const app = /^app:[^:]+:(\d+)$/.exec(identity);
  return app ? `installation ${app[1]}` : "the token";
}

function because(why: BudgetWhy, policy: BudgetPolicy): string {
  switch (why) {
    case "limit":
      return "its rate limit window is spent until the reset";
    case "content":
      return `content-creating calls are spaced ${policy.contentSpacingMs}ms apart, at most ${policy.contentPerMinute} a minute and ${policy.contentPerHour} an hour`;
    case "paused":
      return "GitHub asked it to pause (a secondary rate limit)";
    case "concurrency":
      return `${policy.maxConcurrent} of its calls are in flight`;
    case "learning":
      return "the budget is still learning its limit";
  }
}

function exhausted(
  session: Session,
  req: BudgetedRequest,
  resource: string,
  waitMs: number,
  why: BudgetWhy,
): RetryAfterError {
  const seconds = Math.ceil(waitMs / 1_000);
  const max = session.settings.maxWaitMs;
  return new RetryAfterError(
    waitMs,
    `GitHub ${req.method} ${req.route}: the shared budget of ${whose(session.identity)} cannot start it for ${seconds}s (${because(why, session.settings.policy)}); maxWait is ${Math.ceil(max / 1_000)}s: retry after ${seconds}s, or raise config.maxWait`,
    {
      code: "GITHUB_BUDGET_EXHAUSTED",
      status: 429,
      expose: true,
      details: {
        method: req.method,
        route: req.route,
        resource,
        reason: why,
        retryAfterMs: waitMs,
        maxWaitMs: max,
      },
    },
  );
}

/**
 * Takes a permit for one call from the identity's budget, sending the reports of earlier calls with it; sleeps
 * (cancellably) until the permit's start. A start later than `maxWait` fails with GITHUB_BUDGET_EXHAUSTED (a
 * RetryAfterError with the wait). While the isolate remembers a lasting refusal of the call's resource, the call
 * does not ask: it sleeps until the refusal lifts and then asks, or fails at once when that is past `maxWait`.
 * A budget that cannot be reached is logged and the call goes without a permit: GitHub still enforces its limits,
 * and the client still honours its refusals.
 * @example const permit = await acquire(ctx, settings.budget, settings.baseUrl, creds.identity, req)
 */
export async function acquire(
  ctx: NodeContext,
  settings: BudgetSettings,
  baseUrl: string,
  identity: string,
  req: BudgetedRequest,
): Promise<Permit | undefined> {
  const session = sessionOf(ctx, settings, identity);
  const resource = resourceOf(baseUrl, req.url);
  const content = isContentCreating(req, resource);
  const deadline = ctx.clock.now() + settings.maxWaitMs;
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const now = ctx.clock.now();
    const held = refusals.held(session.budget, resource, now);
    if (held) {
      // Answered here, as the object answered it: the refusal lasts until then. The pending reports wait.
      if (held.until > deadline) throw exhausted(session, req, resource, held.until - now, held.why);
      await ctx.sleep(held.until - now);
      continue;
    }
    const reports = session.pending.splice(0);
    const maxWaitMs = Math.max(0, deadline - ctx.clock.now());
    let answer: BudgetAnswer;
    try {
      answer = await abortable(
        ctx.signal,
        session.stub.take({ resource, content, maxWaitMs, policy: settings.policy, reports }),
      );
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.log("warn", `the GitHub budget \`${settings.binding}\` did not answer; calling without a permit`, {
        error: String(error),
      });
      return undefined;
    }
    if (answer.ok) {
      refusals.permitted(session.budget, resource);
      const permit: Permit = { session, id: answer.permit, resource };
      if (answer.waitMs > 0) {
        try {
          await ctx.sleep(answer.waitMs);
        } catch (error) {
          release(permit);
          throw error;
        }
      }
      return permit;
    }
    refusals.remember(session.budget, resource, answer, ctx.clock.now());
    if (!answer.retry || ctx.clock.now() + answer.waitMs > deadline)
      throw exhausted(session, req, resource, answer.waitMs, answer.why);
    await ctx.sleep(answer.waitMs);
  }
}

const header = (response: Response, name: string): number | undefined => {
  const text = response.headers.get(name);
  if (text === null || !/^\s*[0-9]+\s*$/.test(text)) return undefined;
  return Number(text);
};

/**
 * Ends a permit: keeps what the response taught (GitHub's `x-ratelimit-*` headers, a secondary limit's
 * `retry-after`) for the node's next take or its flush. No response (a network error, an abort) only releases
 * the permit. A 401 teaches nothing: it carries the unauthenticated limit, not the installation's. An answer that
 * shows a later window with calls left (or no rate limit) ends what the isolate remembered of a spent window.
 */
export function release(permit: Permit | undefined, response?: Response): void {
  if (!permit) return;
  const report = reportOf(permit, response);
  permit.session.pending.push(report);
  refusals.reported(permit.session.budget, report);
}

function reportOf(permit: Permit, response: Response | undefined): BudgetReport {
  const base = { permit: permit.id, taken: permit.resource };
  if (!response || response.status === 401) return { ...base, resource: permit.resource };
  const resource = response.headers.get("x-ratelimit-resource") ?? permit.resource;
  const limit = header(response, "x-ratelimit-limit");
  const remaining = header(response, "x-ratelimit-remaining");
  const reset = header(response, "x-ratelimit-reset");
  const retryAfter =
    response.status === 403 || response.status === 429 ? header(response, "retry-after") : undefined;
  const pause = retryAfter !== undefined && retryAfter > 0 ? { retryAfterMs: retryAfter * 1_000 } : {};
  if (limit !== undefined && remaining !== undefined && reset !== undefined)
    return { ...base, resource, limit, remaining, reset, ...pause };
  if (response.status < 500) return { ...base, resource, unmetered: true, ...pause };
  return { ...base, resource, ...pause };
}

/**
 * Sends the reports a node's calls left (its last call's headers, permits of calls that failed): through the
 * host's `waitUntil` when it has one, so the node does not wait for it; else awaited on the node's signal. A
 * failure is logged: a permit not reported is released by its lease.
 */
export async function flushBudget(ctx: NodeContext): Promise<void> {
  const byIdentity = sessions.get(ctx);
  if (!byIdentity) return;
  sessions.delete(ctx);
  for (const session of byIdentity.values()) {
    if (session.pending.length === 0) continue;
    const sending = session.stub
      .report(session.settings.policy, session.pending.splice(0))
      .catch((error: unknown) => {
        ctx.log("warn", `could not report to the GitHub budget \`${session.settings.binding}\``, {
          error: String(error),
        });
      });
    if (ctx.waitUntil) ctx.waitUntil(sending);
    else if (!ctx.signal.aborted) await abortable(ctx.signal, sending).catch(() => {});
  }
}
