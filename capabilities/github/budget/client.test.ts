import { describe, expect, it } from "vitest";
import type { Json } from "../../../flows/ir/types.ts";
import { FlowError, type NodeContext, RetryAfterError, toEnvelope } from "../../../kernel/index.ts";
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

/** Each setup its own token, so its own identity: what one test's isolate remembers is not another's. */
let setups = 0;

function setup(options: { budget?: boolean; waitUntil?: boolean } = {}) {
  const clock = { t: T0 };
  const gh = new FakeGitHub();
  gh.now = () => clock.t;
  gh.on("GET /repos/{owner}/{repo}", () => jsonResponse(200, { name: "hello" }));
  gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, { id: 1 }));
  const budgets = new MemoryBudgets(() => clock.t);
  const env: Record<string, unknown> = { GITHUB_TOKEN: `ghp_budget_test_token_${++setups}` };
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

  describe("the isolate's memory of a lasting refusal", () => {
    /** A budget whose 2-call window is spent for an hour (it resets at T0 + 3,600 s, usable 1 s later). */
    async function spent() {
      const t = setup();
      t.gh.limitRate({ limit: 2, windowMs: 3_600_000 });
      for (let i = 0; i < 2; i++) await t.run("github.get", get, route);
      return t;
    }
    const fast = { ...route, maxWait: "5s" };

    it("answers the calls of a spent window without a round trip: N calls, 1 object call, the same error", async () => {
      const { budgets, clock, gh, fail } = await spent();
      const takes = budgets.takes;
      const errors: FlowError[] = [];
      for (let i = 0; i < 6; i++) {
        errors.push(await fail("github.get", get, fast));
        clock.t += 1_000;
      }
      expect(budgets.takes - takes).toBe(1);
      expect(gh.calls).toHaveLength(2);
      // The first error is the object's; the other five are the isolate's, the same but for the time left.
      expect(errors.map((e) => (e as RetryAfterError).retryAfterMs)).toEqual([
        3_601_000, 3_600_000, 3_599_000, 3_598_000, 3_597_000, 3_596_000,
      ]);
      const envelope = (e: FlowError) => {
        const { message: _m, details, ...rest } = toEnvelope(e).error;
        const { retryAfterMs: _r, ...stable } = details as Record<string, unknown>;
        return { ...rest, details: stable };
      };
      for (const e of errors) {
        expect(e).toBeInstanceOf(RetryAfterError);
        expect(envelope(e)).toEqual(envelope(errors[0]!));
      }
      expect(errors[0]!.details).toMatchObject({ reason: "limit", resource: "core", maxWaitMs: 5_000 });
      expect(errors[5]!.message).toBe(
        "GitHub GET /repos/{owner}/{repo}: the shared budget of the token cannot start it for 3596s (its rate limit window is spent until the reset); maxWait is 5s: retry after 3596s, or raise config.maxWait",
      );
    });

    it("asks the object again once the refusal's time has passed", async () => {
      const { budgets, clock, gh, fail, run } = await spent();
      await fail("github.get", get, fast);
      const takes = budgets.takes;
      // 5.001 s before the window is usable, past maxWait (5 s): still answered here.
      clock.t = T0 + 3_595_999;
      expect((await fail("github.get", get, fast)).details).toMatchObject({ retryAfterMs: 5_001 });
      expect(budgets.takes).toBe(takes);
      clock.t = T0 + 3_601_000;
      await run("github.get", get, fast);
      expect(budgets.takes).toBe(takes + 1);
      expect(gh.calls).toHaveLength(3);
      expect(gh.refused).toEqual([]);
    });

    it("a caller that can wait sleeps until the refusal lifts, then asks, and its call goes", async () => {
      const { budgets, clock, gh, fail, run, sleeps } = await spent();
      await fail("github.get", get, fast);
      const takes = budgets.takes;
      clock.t += 600_000;
      const asked: number[] = [];
      const take = budgets.get.bind(budgets);
      budgets.get = (id) => {
        const stub = take(id);
        return {
          ...stub,
          take: (t) => {
            asked.push(clock.t);
            return stub.take(t);
          },
        };
      };
      await run("github.get", get, { ...route, maxWait: "2h" });
      // One sleep to the remembered time, then one take (granted at once), then the call.
      expect(sleeps).toEqual([3_001_000]);
      expect(asked).toEqual([T0 + 3_601_000]);
      expect(budgets.takes).toBe(takes + 1);
      expect(gh.calls).toHaveLength(3);
    });

    it("cancelling a caller that waits on a remembered refusal rejects with the signal's reason, asking nothing", async () => {
      const { budgets, context, fail, gh } = await spent();
      await fail("github.get", get, fast);
      const takes = budgets.takes;
      const controller = new AbortController();
      const ctx = context(get, { ...route, maxWait: "2h" }, controller.signal);
      const slept: number[] = [];
      const waiting = {
        ...ctx,
        sleep: async (ms: number) => {
          slept.push(ms);
          controller.abort(new Error("cancelled while waiting for the window"));
          throw controller.signal.reason;
        },
      } as NodeContext;
      await expect(GITHUB_KINDS["github.get"]!.run(waiting)).rejects.toThrow(
        "cancelled while waiting for the window",
      );
      expect(slept).toEqual([3_601_000]);
      expect(budgets.takes).toBe(takes);
      expect(gh.calls).toHaveLength(2);
    });

    it("a permit answer forgets the refusal, so the next caller asks the object again", async () => {
      const { budgets, context, fail } = await spent();
      // Two callers ask before any refusal is remembered: a fast one (refused: the isolate remembers it) and one
      // that can wait (a permit in the next window, answered after the refusal: the isolate forgets it).
      const asked: { maxWaitMs: number; go: () => void }[] = [];
      const original = budgets.get.bind(budgets);
      budgets.get = (id) => {
        const stub = original(id);
        return {
          ...stub,
          take: async (t) => {
            await new Promise<void>((go) => asked.push({ maxWaitMs: t.maxWaitMs, go }));
            return stub.take(t);
          },
        };
      };
      const controller = new AbortController();
      const patient = {
        ...context(get, { ...route, maxWait: "2h" }, controller.signal),
        sleep: async () => {
          controller.abort(new Error("stopped after its permit"));
          throw controller.signal.reason;
        },
      } as NodeContext;
      const quick = fail("github.get", get, fast);
      const slow = Promise.resolve(GITHUB_KINDS["github.get"]!.run(patient)).catch((e: unknown) => e);
      while (asked.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      asked.find((a) => a.maxWaitMs <= 5_000)!.go();
      expect((await quick).details).toMatchObject({ reason: "limit" });
      asked.find((a) => a.maxWaitMs > 5_000)!.go();
      expect(String(await slow)).toContain("stopped after its permit");
      budgets.get = original;
      const takes = budgets.takes;
      expect((await fail("github.get", get, fast)).code).toBe("GITHUB_BUDGET_EXHAUSTED");
      expect(budgets.takes).toBe(takes + 1);
    });

    it("remembers a secondary-limit pause for every resource of the identity", async () => {
      const { budgets, clock, gh, fail } = setup();
      gh.on("GET /repos/{owner}/{repo}", () =>
        jsonResponse(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "30" }),
      );
      gh.on("GET /search/issues", () => jsonResponse(200, { items: [] }));
      expect((await fail("github.get", get, route)).code).toBe("GITHUB_RATE_LIMITED");
      const search = { route: "GET /search/issues", etag: false, maxWait: "5s" };
      const first = await fail("github.get", { params: { q: "x" } }, search);
      expect(first.details).toMatchObject({ reason: "paused", retryAfterMs: 30_000 });
      const takes = budgets.takes;
      clock.t += 10_000;
      const again = await fail("github.get", get, fast);
      expect(again.details).toMatchObject({ reason: "paused", resource: "core", retryAfterMs: 20_000 });
      expect(again.message).toContain("(GitHub asked it to pause (a secondary rate limit))");
      expect(budgets.takes).toBe(takes);
      expect(gh.calls).toHaveLength(1);
    });

    it("remembers per identity: another token's calls still ask their own object", async () => {
      const a = await spent();
      await a.fail("github.get", get, fast);
      const b = setup();
      b.gh.limitRate({ limit: 2, windowMs: 3_600_000 });
      await b.run("github.get", get, fast);
      expect(b.budgets.takes).toBe(1);
      expect(b.gh.calls).toHaveLength(1);
    });
  });
});
