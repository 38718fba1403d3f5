import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Json } from "../../../flows/ir/types.ts";
import { type FlowError, type NodeContext, RetryAfterError } from "../../../kernel/index.ts";
import { nodeContext } from "../../testing.ts";
import { GITHUB_KINDS } from "../kinds.ts";
import { sha256Hex } from "../rest/settings.ts";
import { FakeGitHub, jsonResponse } from "../testing.ts";
import type { BudgetNamespace, BudgetStub } from "./client.ts";

/**
 * The shared budget in workerd: the real `FlowsGitHubBudget` object (the root wrangler.toml's `GITHUB_BUDGET`),
 * real time, and a stand-in GitHub that enforces a small limit (20 calls per window of about a second, content
 * calls at least 100 ms apart) and refuses past it, as GitHub does. Several callers, each with its own node
 * context and budget sessions (as separate isolates would have), share nothing but the object and GitHub.
 */

const issue = { owner: "octo", repo: "hello", issue_number: 7 };
const get = { owner: "octo", repo: "hello" };

function standIn(): FakeGitHub {
  const gh = new FakeGitHub();
  gh.on("GET /repos/{owner}/{repo}", () => jsonResponse(200, { name: "hello" }));
  gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, { id: 1 }));
  return gh;
}

/** One caller: its own context per node run (its own sessions), the shared env, every sleep recorded. */
function caller(gh: FakeGitHub, token: string, budget: boolean | BudgetNamespace) {
  const sleeps: number[] = [];
  const bindings: Record<string, unknown> = { GITHUB_TOKEN: token };
  if (budget) bindings.GITHUB_BUDGET = budget === true ? env.GITHUB_BUDGET : budget;
  const context = (inputs: Record<string, unknown>, config: Record<string, Json>): NodeContext => ({
    ...nodeContext({ env: bindings, inputs, config: { baseUrl: gh.base, etag: false, ...config } }),
    fetch: gh.fetch as typeof fetch,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
  });
  const run = async (kind: string, inputs: Record<string, unknown>, config: Record<string, Json> = {}) =>
    GITHUB_KINDS[kind]!.run(context(inputs, config));
  return { sleeps, run };
}

const fresh = () => `ghp_budget_${crypto.randomUUID()}`;

/** The real namespace, with the takes its stubs send counted. */
function counted(): { namespace: BudgetNamespace; takes: () => number } {
  let takes = 0;
  const namespace: BudgetNamespace = {
    idFromName: (name) => env.GITHUB_BUDGET.idFromName(name),
    get: (id): BudgetStub => {
      const stub = env.GITHUB_BUDGET.get(id);
      return {
        take: (t) => {
          takes++;
          return stub.take(t);
        },
        report: (policy, reports) => stub.report(policy, reports),
      };
    },
  };
  return { namespace, takes: () => takes };
}
const stateOf = async (token: string) =>
  env.GITHUB_BUDGET.get(env.GITHUB_BUDGET.idFromName(`token:${await sha256Hex(token)}`)).state();

describe("the shared GitHub budget (FlowsGitHubBudget in workerd, a stand-in GitHub enforcing 20 calls a window)", () => {
  it("four concurrent callers send 35 calls through 20-call windows: none refused, calls waited, content spaced", async () => {
    const gh = standIn().limitRate({ limit: 20, windowMs: 1_000, contentSpacingMs: 100 });
    const token = fresh();
    const config = { budgetReserve: 0, contentSpacing: "200ms" };
    const readers = [0, 1, 2].map(() => caller(gh, token, true));
    const writer = caller(gh, token, true);
    const started = Date.now();
    await Promise.all([
      ...readers.map(async (c) => {
        for (let i = 0; i < 9; i++)
          await c.run("github.get", { params: get }, { route: "GET /repos/{owner}/{repo}", ...config });
      }),
      (async () => {
        for (let i = 0; i < 8; i++) await writer.run("github.comment", { ...issue, body: `c${i}` }, config);
      })(),
    ]);
    expect(gh.refused.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    expect(gh.calls).toHaveLength(35);
    // 35 calls at 20 a window need a second window: the callers waited for the budget (a reset is ≥ 1 s away).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const waits = [...readers, writer].flatMap((c) => c.sleeps).filter((ms) => ms > 0);
    expect(waits.length).toBeGreaterThan(0);
    // Content-creating calls arrived spaced (the stand-in refused none closer than 100 ms; on average ≥ 190 ms).
    const times = gh.contentTimes;
    expect(times).toHaveLength(8);
    expect((times.at(-1)! - times[0]!) / (times.length - 1)).toBeGreaterThanOrEqual(190);
    expect(writer.sleeps.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(7);
    // Every permit was reported back: none left outstanding, and the object learned GitHub's limit.
    const state = await stateOf(token);
    expect(Object.keys(state.permits)).toEqual([]);
    expect(state.windows.core).toMatchObject({ metered: true, limit: 20 });
  }, 30_000);

  it("without the budget the same kind of burst is refused by the stand-in (the control)", async () => {
    const gh = standIn().limitRate({ limit: 20, windowMs: 1_000 });
    const token = fresh();
    const callers = [0, 1, 2].map(() => caller(gh, token, false));
    const outcomes = await Promise.allSettled(
      callers.flatMap((c) =>
        Array.from({ length: 10 }, () =>
          c.run("github.get", { params: get }, { route: "GET /repos/{owner}/{repo}", maxRetries: 0 }),
        ),
      ),
    );
    expect(gh.refused.length).toBeGreaterThan(0);
    const failed = outcomes.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
    expect(failed.map((f) => (f.reason as FlowError).code)).toContain("GITHUB_RATE_LIMITED");
  });

  it("a caller that cannot wait for the next window gets GITHUB_BUDGET_EXHAUSTED, and GitHub sees no call of it", async () => {
    const gh = standIn().limitRate({ limit: 5, windowMs: 3_600_000 });
    const token = fresh();
    const budget = counted();
    const c = caller(gh, token, budget.namespace);
    const config = { route: "GET /repos/{owner}/{repo}", maxWait: "2s" };
    for (let i = 0; i < 5; i++) await c.run("github.get", { params: get }, config);
    const error = await c.run("github.get", { params: get }, config).then(
      () => {
        throw new Error("the sixth call went through");
      },
      (e: unknown) => e as RetryAfterError,
    );
    expect(error).toBeInstanceOf(RetryAfterError);
    expect(error.code).toBe("GITHUB_BUDGET_EXHAUSTED");
    expect(error.message).toMatch(
      /^GitHub GET \/repos\/\{owner\}\/\{repo\}: the shared budget of the token cannot start it for 36\d\ds \(its rate limit window is spent until the reset\); maxWait is 2s: retry after 36\d\ds, or raise config\.maxWait$/,
    );
    expect(error.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(gh.calls).toHaveLength(5);
    expect(gh.refused).toEqual([]);
    // The isolate remembers the object's refusal: ten more calls fail the same way without asking it.
    expect(budget.takes()).toBe(6);
    for (let i = 0; i < 10; i++) {
      const again = await c.run("github.get", { params: get }, config).catch((e: unknown) => e as FlowError);
      expect((again as FlowError).code).toBe("GITHUB_BUDGET_EXHAUSTED");
      expect((again as FlowError).details).toMatchObject({ reason: "limit", resource: "core" });
    }
    expect(budget.takes()).toBe(6);
    expect(gh.calls).toHaveLength(5);
  });
});
