import { describe, expect, it } from "vitest";
import type { Json } from "../../../flows/ir/types.ts";
import { FlowError, type NodeContext, RetryAfterError } from "../../../kernel/index.ts";
import { nodeContext } from "../../testing.ts";
import { GITHUB_KINDS } from "../kinds.ts";
import { FakeGitHub, jsonResponse, MemoryBudgets } from "../testing.ts";

/**
 * The REST client with the shared budget, in Node: the in-memory budget namespace (`MemoryBudgets`, the same
 * `RateBudget` as the Durable Object) and the stand-in GitHub on one injected clock, so every wait is exact.
 * `budget.workers.test.ts` runs the real object in workerd with concurrent callers.
 */

const T0 = Date.parse("2026-11-25T12:00:00Z");
const issue = { owner: "octo", repo: "hello", issue_number: 7 };

function setup(options: { budget?: boolean; waitUntil?: boolean } = {}) {
  const clock = { t: T0 };
  const gh = new FakeGitHub();
  gh.now = () => clock.t;
  gh.on("GET /repos/{owner}/{repo}", () => jsonResponse(200, { name: "hello" }));
  gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, { id: 1 }));
  const budgets = new MemoryBudgets(() => clock.t);
  const env: Record<string, unknown> = { GITHUB_TOKEN: "ghp_budget_test_token" };
  if (options.budget !== false) env.GITHUB_BUDGET = budgets;
  const sleeps: number[] = [];
  const logs: string[] = [];
  const later: Promise<unknown>[] = [];
  const context = (inputs: Record<string, unknown>, config: Record<string, Json>, signal?: AbortSignal) =>
    ({
      ...nodeContext({ env, inputs, config: { baseUrl: gh.base, ...config }, ...(signal ? { signal } : {}) }),
      fetch: gh.fetch as typeof fetch,
      clock: { now: () => clock.t },
      log: (_level: string, message: string) => logs.push(message),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock.t += ms;
        if (signal?.aborted) throw signal.reason;
      },
      ...(options.waitUntil ? { waitUntil: (p: Promise<unknown>) => later.push(p) } : {}),
    }) as NodeContext;
  const run = async (kind: string, inputs: Record<string, unknown>, config: Record<string, Json> = {}) =>
    (await GITHUB_KINDS[kind]!.run(context(inputs, config))) as Record<string, unknown>;
  const fail = async (kind: string, inputs: Record<string, unknown>, config: Record<string, Json> = {}) => {
    try {
      await run(kind, inputs, config);
    } catch (error) {
      if (error instanceof FlowError) return error;
      throw error;
    }
    throw new Error(`${kind} did not fail`);
  };
  return { clock, gh, budgets, env, sleeps, logs, later, context, run, fail };
}

const get = { params: { owner: "octo", repo: "hello" } };
const route = { route: "GET /repos/{owner}/{repo}", etag: false };

describe("the REST client with the shared budget (in-memory namespace, injected clock)", () => {
  it("n calls of a node cost n takes and one report, the headers of each answer carried by the next take", async () => {
    const { gh, budgets, run } = setup();
    gh.limitRate({ limit: 100, windowMs: 60_000 });
    gh.on("PATCH /repos/{owner}/{repo}/issues/{n}", () => jsonResponse(200, { state: "closed" }));
    await run("github.closeIssue", { ...issue, comment: "closing" });
    expect(gh.lines()).toEqual([
      "POST /repos/octo/hello/issues/7/comments",
      "PATCH /repos/octo/hello/issues/7",
    ]);
    expect({ takes: budgets.takes, reports: budgets.reports }).toEqual({ takes: 2, reports: 1 });
    const budget = budgets.budgets.get(budgets.budgets.keys().next().value!)!;
    expect(budget.outstanding).toBe(0);
    expect(budget.window("core")).toMatchObject({ metered: true, limit: 100, remaining: 98 });
    expect([...budgets.budgets.keys()]).toEqual([expect.stringMatching(/^token:[0-9a-f]{64}$/)]);
  });

  it("waits for the next window instead of being refused", async () => {
    const { gh, sleeps, run } = setup();
    gh.limitRate({ limit: 3, windowMs: 10_000 });
    for (let i = 0; i < 5; i++) await run("github.get", get, { ...route, maxWait: "30s" });
    expect(gh.refused).toEqual([]);
    expect(gh.calls).toHaveLength(5);
    // The first window (3 calls) resets 10 s after the first call; the 4th waits for it plus the 1 s skew.
    expect(sleeps).toEqual([11_000]);
  });

  it("spaces content-creating calls 1 s apart (config.contentSpacing), reads not", async () => {
    const { gh, sleeps, clock, run } = setup();
    gh.limitRate({ limit: 100, windowMs: 60_000, contentSpacingMs: 1_000 });
    const start = clock.t;
    for (let i = 0; i < 3; i++) await run("github.comment", { ...issue, body: `c${i}` });
    await run("github.get", get, route);
    expect(gh.contentTimes.map((t) => t - start)).toEqual([0, 1_000, 2_000]);
    expect(sleeps).toEqual([1_000, 1_000]);
    for (let i = 0; i < 2; i++)
      await run("github.comment", { ...issue, body: `d${i}` }, { contentSpacing: "3s" });
    expect(sleeps).toEqual([1_000, 1_000, 1_000, 3_000]);
    expect(gh.refused).toEqual([]);
  });

  it("fails with GITHUB_BUDGET_EXHAUSTED, sending nothing, when the wait is longer than maxWait", async () => {
    const { gh, fail, run } = setup();
    gh.limitRate({ limit: 2, windowMs: 3_600_000 });
    await run("github.get", get, route);
    await run("github.get", get, route);
    const error = await fail("github.get", get, { ...route, maxWait: "5s" });
    expect(error).toBeInstanceOf(RetryAfterError);
    expect(error.code).toBe("GITHUB_BUDGET_EXHAUSTED");
    expect(error.status).toBe(429);
    expect(error.message).toBe(
      "GitHub GET /repos/{owner}/{repo}: the shared budget of the token cannot start it for 3601s (its rate limit window is spent until the reset); maxWait is 5s: retry after 3601s, or raise config.maxWait",
    );
    expect((error as RetryAfterError).retryAfterMs).toBe(3_601_000);
    expect(error.details).toMatchObject({ resource: "core", reason: "limit", maxWaitMs: 5_000 });
    expect(gh.calls).toHaveLength(2);
    expect(gh.refused).toEqual([]);
  });

  it("names the installation in app mode, and leaves the installation-token request out of the budget", async () => {
    const { gh, budgets, env, fail } = setup();
    env.GITHUB_APP_ID = "42";
    env.GITHUB_PRIVATE_KEY = "not a key";
    gh.limitRate({ limit: 1, windowMs: 3_600_000 });
    const error = await fail("github.get", { ...get, installationId: 4242 }, route);
    // The key cannot sign: no budget call was made for the token request.
    expect(error.code).toBe("GITHUB_AUTH_FAILED");
    expect(budgets.takes).toBe(0);
  });

  it("without the binding (or with budget: false) makes no budget call", async () => {
    const plain = setup({ budget: false });
    await plain.run("github.get", get, route);
    expect(plain.budgets.takes).toBe(0);
    const off = setup();
    await off.run("github.get", get, { ...route, budget: false });
    expect(off.budgets.takes + off.budgets.reports).toBe(0);
  });

  it("hands the last report to the host's waitUntil, so the node does not wait for it", async () => {
    const { budgets, later, run } = setup({ waitUntil: true });
    await run("github.get", get, route);
    expect(budgets.takes).toBe(1);
    expect(later).toHaveLength(1);
    await Promise.all(later);
    expect(budgets.reports).toBe(1);
  });

  it("calls without a permit, with a warning, when the budget does not answer", async () => {
    const { env, logs, gh, run } = setup();
    env.GITHUB_BUDGET = {
      idFromName: (name: string) => ({ name }),
      get: () => ({
        take: async () => {
          throw new Error("overloaded");
        },
        report: async () => {},
      }),
    };
    await run("github.get", get, route);
    expect(gh.calls).toHaveLength(1);
    expect(logs).toContain("the GitHub budget `GITHUB_BUDGET` did not answer; calling without a permit");
  });

  it("a cancelled wait for a permit releases it and sends nothing to GitHub", async () => {
    const { gh, budgets, context } = setup();
    gh.limitRate({ limit: 1, windowMs: 10_000 });
    await GITHUB_KINDS["github.get"]!.run(context(get, route));
    const controller = new AbortController();
    const ctx = context(get, route, controller.signal);
    const waiting = {
      ...ctx,
      sleep: async () => {
        controller.abort(new Error("cancelled"));
        throw controller.signal.reason;
      },
    } as NodeContext;
    await expect(GITHUB_KINDS["github.get"]!.run(waiting)).rejects.toThrow("cancelled");
    expect(gh.calls).toHaveLength(1);
    expect([...budgets.budgets.values()][0]!.outstanding).toBe(0);
  });

  it("learns nothing from a 401 (its headers are the unauthenticated limit)", async () => {
    const { gh, budgets, fail } = setup();
    gh.on("GET /repos/{owner}/{repo}", () =>
      jsonResponse(
        401,
        { message: "Bad credentials" },
        {
          "x-ratelimit-limit": "60",
          "x-ratelimit-remaining": "59",
          "x-ratelimit-reset": String(T0 / 1_000 + 60),
        },
      ),
    );
    expect((await fail("github.get", get, route)).code).toBe("GITHUB_AUTH_FAILED");
    const budget = [...budgets.budgets.values()][0]!;
    expect(budget.window("core")).toBeUndefined();
    expect(budget.outstanding).toBe(0);
  });
});
