import { describe, expect, it } from "vitest";
import type { Json } from "../../flows/ir/types.ts";
import {
  BUILTIN_KINDS,
  createPlan,
  createRegistry,
  FlowError,
  type NodeContext,
  RetryAfterError,
  runFlow,
  toEnvelope,
} from "../../kernel/index.ts";
import { nodeContext } from "../testing.ts";
import { GITHUB_KINDS } from "./kinds.ts";
import { FakeGitHub, hang, jsonResponse, pkcs1KeyPair, verifyJwt } from "./testing.ts";

/**
 * The GitHub conformance suite: every behaviour of the REST client and the auth against the stand-in GitHub API
 * (`testing.ts`), with one implementation of the cache KV namespace. `github.workers.test.ts` runs it in workerd
 * with the real local KV binding, `github.test.ts` in Node with an in-memory one.
 */
export function githubConformance(name: string, makeKv: () => KVNamespace): void {
  describe(`GitHub capability (${name})`, () => {
    const keys = pkcs1KeyPair();
    let installation = 1_000 + Math.floor(Math.random() * 1_000_000) * 100;
    const nextInstallation = () => ++installation;

    interface Setup {
      gh: FakeGitHub;
      env: Record<string, unknown>;
      sleeps: number[];
      clock: { t: number };
      run(
        kind: string,
        inputs: Record<string, unknown>,
        config?: Record<string, Json>,
        signal?: AbortSignal,
      ): Promise<Record<string, unknown>>;
      fail(kind: string, inputs: Record<string, unknown>, config?: Record<string, Json>): Promise<FlowError>;
    }

    const setup = async (): Promise<Setup> => {
      const { pem, publicKey } = await keys;
      const gh = new FakeGitHub();
      const clock = { t: Date.parse("2026-11-25T12:00:00Z") };
      gh.now = () => clock.t;
      gh.verifyJwt = async (jwt) => (await verifyJwt(jwt, publicKey))?.iss === "42";
      const env: Record<string, unknown> = {
        GITHUB_APP_ID: "42",
        GITHUB_PRIVATE_KEY: pem,
        GITHUB_TOKEN: "ghp_personal_token_secret",
        GITHUB_CACHE: makeKv(),
      };
      const sleeps: number[] = [];
      const context = (
        inputs: Record<string, unknown>,
        config: Record<string, Json>,
        signal?: AbortSignal,
      ): NodeContext => ({
        ...nodeContext({
          env,
          inputs,
          config: { baseUrl: gh.base, ...config },
          ...(signal ? { signal } : {}),
        }),
        fetch: gh.fetch as typeof fetch,
        clock: { now: () => clock.t },
        sleep: async (ms: number) => {
          sleeps.push(ms);
          clock.t += ms;
          if (signal?.aborted) throw signal.reason;
        },
      });
      const run = async (
        kind: string,
        inputs: Record<string, unknown>,
        config: Record<string, Json> = {},
        signal?: AbortSignal,
      ) =>
        ((await GITHUB_KINDS[kind]!.run(context(inputs, config, signal))) ?? {}) as Record<string, unknown>;
      const fail = async (
        kind: string,
        inputs: Record<string, unknown>,
        config: Record<string, Json> = {},
      ) => {
        try {
          await run(kind, inputs, config);
        } catch (error) {
          if (error instanceof FlowError) return error;
          throw error;
        }
        throw new Error(`${kind} did not fail`);
      };
      return { gh, env, sleeps, clock, run, fail };
    };

    const issue = { owner: "octo", repo: "hello", issue_number: 7 };

    it("App auth: a PKCS#1 key signs a JWT GitHub's stand-in verifies; the installation token is cached in KV", async () => {
      const { gh, run } = await setup();
      const id = nextInstallation();
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, { id: 1 }));
      await run("github.comment", { ...issue, installationId: id, body: "one" });
      await run("github.comment", { ...issue, installationId: String(id), body: "two" });
      expect(gh.lines()).toEqual([
        `POST /app/installations/${id}/access_tokens`,
        "POST /repos/octo/hello/issues/7/comments",
        "POST /repos/octo/hello/issues/7/comments",
      ]);
      expect(gh.calls[0]!.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      for (const call of gh.calls.slice(1)) {
        expect(call.headers.authorization).toBe("token ghs_test1");
        expect(call.headers["x-github-api-version"]).toBe("2022-11-28");
        expect(call.headers["user-agent"]).toBe("flows-github/0.1");
        expect(call.headers.accept).toBe("application/vnd.github+json");
      }
      expect(gh.calls.map((c) => c.body)).toEqual([undefined, { body: "one" }, { body: "two" }]);
    });

    it("refreshes the installation token once it is within the margin of its expiry", async () => {
      const { gh, run, clock } = await setup();
      const id = nextInstallation();
      gh.tokenTtlMs = 10 * 60_000;
      gh.on("PATCH /repos/{owner}/{repo}/issues/{n}", () => jsonResponse(200, { state: "open" }));
      await run("github.reopenIssue", { ...issue, installationId: id });
      clock.t += 4 * 60_000; // 6 min left > 5 min margin: still cached
      await run("github.reopenIssue", { ...issue, installationId: id });
      clock.t += 2 * 60_000; // 4 min left < 5 min margin: refreshed
      await run("github.reopenIssue", { ...issue, installationId: id });
      await run("github.reopenIssue", { ...issue, installationId: id }, { tokenMargin: "1m" });
      expect(gh.lines().filter((l) => l.endsWith("/access_tokens"))).toHaveLength(2);
      expect(gh.calls.filter((c) => c.method === "PATCH").map((c) => c.headers.authorization)).toEqual([
        "token ghs_test1",
        "token ghs_test1",
        "token ghs_test2",
        "token ghs_test2",
      ]);
    });

    it("a 401 with a cached token drops it and retries once with a fresh one", async () => {
      const { gh, run } = await setup();
      const id = nextInstallation();
      gh.on("PATCH /repos/{owner}/{repo}/issues/{n}", (call) =>
        call.headers.authorization === "token ghs_test1"
          ? jsonResponse(401, { message: "Bad credentials" })
          : jsonResponse(200, { state: "open" }),
      );
      expect((await run("github.reopenIssue", { ...issue, installationId: id })).status).toBe(200);
      expect(gh.lines()).toEqual([
        `POST /app/installations/${id}/access_tokens`,
        "PATCH /repos/octo/hello/issues/7",
        `POST /app/installations/${id}/access_tokens`,
        "PATCH /repos/octo/hello/issues/7",
      ]);
    });

    it("token mode: the personal access token, no token request; auto picks it without installationId", async () => {
      const { gh, run } = await setup();
      gh.on("GET /repos/{owner}/{repo}", () => jsonResponse(200, { full_name: "octo/hello" }));
      const out = await run(
        "github.get",
        { params: { owner: "octo", repo: "hello" } },
        { route: "GET /repos/{owner}/{repo}" },
      );
      expect(out.body).toEqual({ full_name: "octo/hello" });
      await run(
        "github.get",
        { installationId: 5, params: { owner: "octo", repo: "hello" } },
        { route: "GET /repos/{owner}/{repo}", auth: "token", etag: false },
      );
      expect(gh.lines()).toEqual(["GET /repos/octo/hello", "GET /repos/octo/hello"]);
      expect(gh.calls.map((c) => c.headers.authorization)).toEqual([
        "token ghp_personal_token_secret",
        "token ghp_personal_token_secret",
      ]);
    });

    it("an installation token GitHub could not give (no response, 5xx) is a retriable GITHUB_REQUEST_FAILED saying so, not a refusal", async () => {
      const { gh, fail, sleeps } = await setup();
      gh.on("POST /app/installations/{id}/access_tokens", () => {
        throw new TypeError("Network connection lost.");
      });
      const offline = nextInstallation();
      const unreachable = await fail("github.comment", { ...issue, installationId: offline, body: "x" });
      expect(unreachable.code).toBe("GITHUB_REQUEST_FAILED");
      expect(unreachable.message).toBe(
        `GitHub could not be reached for an installation token for installation ${offline} of App 42: no response`,
      );
      expect(unreachable.retriable).toBe(true);
      expect(unreachable.details).toEqual({
        method: "POST",
        route: "/app/installations/{installation_id}/access_tokens",
        installationId: String(offline),
      });
      expect(sleeps).toEqual([1_000, 2_000, 4_000]); // the token request is retried inside the node first
      gh.on("POST /app/installations/{id}/access_tokens", () =>
        jsonResponse(503, { message: "Unavailable" }),
      );
      const down = nextInstallation();
      const failed = await fail(
        "github.comment",
        { ...issue, installationId: down, body: "x" },
        { maxRetries: 0 },
      );
      expect(failed.code).toBe("GITHUB_REQUEST_FAILED");
      expect(failed.message).toBe(
        `GitHub answered 503 to a request for an installation token for installation ${down} of App 42`,
      );
      expect(failed.retriable).toBe(true);
      expect(gh.lines().filter((l) => l.includes("/comments"))).toEqual([]);
    });

    it("auth failures are GITHUB_AUTH_FAILED and never show a key, a JWT or a token", async () => {
      const { gh, env, fail } = await setup();
      const keyBody = String(env.GITHUB_PRIVATE_KEY).split("\n")[1]!;
      gh.verifyJwt = async () => false;
      const refused = await fail("github.comment", {
        ...issue,
        installationId: nextInstallation(),
        body: "x",
      });
      expect(refused.code).toBe("GITHUB_AUTH_FAILED");
      expect(refused.retriable).toBe(false);
      expect((refused.details as { status: number }).status).toBe(401);
      const jwt = gh.calls[0]!.headers.authorization!.slice("Bearer ".length);
      env.GITHUB_PRIVATE_KEY = "ghp_this_is_not_a_key";
      const badKey = await fail("github.comment", {
        ...issue,
        installationId: nextInstallation(),
        body: "x",
      });
      expect(badKey.code).toBe("GITHUB_AUTH_FAILED");
      expect(badKey.message).toContain("GITHUB_PRIVATE_KEY");
      const noToken = await fail(
        "github.comment",
        { ...issue, body: "x" },
        { auth: "token", token: "NO_SUCH_TOKEN" },
      );
      expect(noToken.code).toBe("BINDING_MISSING");
      expect(noToken.message).toContain("wrangler secret put NO_SUCH_TOKEN");
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () =>
        jsonResponse(403, { message: "Resource not accessible by personal access token" }),
      );
      const forbidden = await fail("github.comment", { ...issue, body: "x" });
      expect(forbidden.code).toBe("GITHUB_REQUEST_FAILED");
      expect((forbidden.details as { message: string }).message).toBe(
        "Resource not accessible by personal access token",
      );
      for (const error of [refused, badKey, noToken, forbidden]) {
        const text = JSON.stringify([
          error.message,
          error.details,
          toEnvelope(error),
          String(error.cause ?? ""),
        ]);
        for (const secret of [jwt, keyBody, "ghp_this_is_not_a_key", "ghp_personal_token_secret", "ghs_test"])
          expect(text).not.toContain(secret);
      }
    });

    it("retries a primary rate limit after x-ratelimit-reset and a secondary one after retry-after", async () => {
      const { gh, run, sleeps, clock } = await setup();
      const start = clock.t;
      let n = 0;
      gh.on("GET /repos/{owner}/{repo}/issues/{n}", () => {
        n++;
        if (n === 1)
          return jsonResponse(
            403,
            { message: "API rate limit exceeded" },
            {
              "x-ratelimit-remaining": "0",
              "x-ratelimit-reset": String(Math.floor(start / 1_000) + 4),
            },
          );
        if (n === 2) return jsonResponse(429, { message: "secondary rate limit" }, { "retry-after": "3" });
        return jsonResponse(200, { number: 7 });
      });
      const out = await run(
        "github.get",
        { params: issue },
        { route: "GET /repos/{owner}/{repo}/issues/{issue_number}" },
      );
      expect(out.body).toEqual({ number: 7 });
      expect(sleeps).toEqual([5_000, 3_000]);
      expect(gh.lines()).toHaveLength(3);
    });

    it("a rate limit longer than maxRetryWait fails at once with GITHUB_RATE_LIMITED carrying GitHub's delay", async () => {
      const { gh, fail, sleeps } = await setup();
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/labels", () =>
        jsonResponse(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "120" }),
      );
      const error = await fail("github.addLabels", { ...issue, labels: ["bug"] });
      expect(error).toBeInstanceOf(RetryAfterError);
      expect(error.code).toBe("GITHUB_RATE_LIMITED");
      expect((error as RetryAfterError).retryAfterMs).toBe(120_000);
      expect(error.status).toBe(429);
      expect(sleeps).toEqual([]);
      expect(gh.lines()).toHaveLength(1);
      const forbidden = await fail("github.addLabels", { ...issue, labels: ["bug"] }, { maxRetries: 0 });
      expect(forbidden.code).toBe("GITHUB_RATE_LIMITED");
    });

    it("retries 5xx of idempotent methods with backoff, never a POST (left to the kernel's policy)", async () => {
      const { gh, run, fail, sleeps } = await setup();
      let n = 0;
      gh.on("PUT /repos/{owner}/{repo}/pulls/{n}/merge", () => {
        n++;
        return n <= 2
          ? jsonResponse(n === 1 ? 502 : 503, { message: "Server Error" })
          : jsonResponse(200, { merged: true, sha: "abc" });
      });
      const merged = await run("github.mergePullRequest", {
        owner: "octo",
        repo: "hello",
        pull_number: 3,
        merge_method: "squash",
      });
      expect(merged.merged).toBe(true);
      expect(sleeps).toEqual([1_000, 2_000]);
      expect(gh.calls.at(-1)!.body).toEqual({ merge_method: "squash" });
      gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () =>
        jsonResponse(500, { message: "Server Error" }),
      );
      const error = await fail("github.comment", { ...issue, body: "hi" });
      expect(error.code).toBe("GITHUB_REQUEST_FAILED");
      expect(error.retriable).toBe(true);
      expect(gh.lines().filter((l) => l.startsWith("POST"))).toHaveLength(1);
      gh.on("GET /repos/{owner}/{repo}", () => jsonResponse(500, { message: "down" }));
      const exhausted = await fail(
        "github.get",
        { params: { owner: "octo", repo: "hello" } },
        { route: "GET /repos/{owner}/{repo}", maxRetries: 2 },
      );
      expect(exhausted.retriable).toBe(true);
      expect(gh.lines().filter((l) => l === "GET /repos/octo/hello")).toHaveLength(3);
    });

    it("a rate-limited node is retried by the kernel after GitHub's delay (RetryAfterError + retry policy)", async () => {
      const { gh, env } = await setup();
      let n = 0;
      gh.on("GET /repos/{owner}/{repo}", () =>
        ++n === 1
          ? jsonResponse(429, { message: "slow down" }, { "retry-after": "1" })
          : jsonResponse(200, { ok: true }),
      );
      const plan = createPlan(
        {
          flows: 1,
          id: "gh-retry",
          version: "1.0.0",
          triggers: [],
          nodes: [
            {
              id: "repo",
              kind: "github.get",
              inputs: { params: { owner: "octo", repo: "hello" } },
              config: { route: "GET /repos/{owner}/{repo}", baseUrl: gh.base, maxRetryWait: "0ms" },
              retry: { attempts: 2, delay: "1ms" },
            },
          ],
          output: "repo",
        },
        { registry: createRegistry(BUILTIN_KINDS, GITHUB_KINDS) },
      );
      const events: string[] = [];
      const result = await runFlow(plan, {
        env,
        fetch: gh.fetch as typeof fetch,
        onEvent: (e) => {
          if (e.type === "node.retry")
            events.push(`${e.type} ${JSON.stringify((e as { delayMs?: number }).delayMs)}`);
        },
      });
      expect(result.error).toBeUndefined();
      expect((result.output as { body: unknown }).body).toEqual({ ok: true });
      expect(n).toBe(2);
      expect(events).toEqual(["node.retry 1000"]);
    });

    it("conditional GET: a 304 answers from the ETag cache (fromCache), per identity", async () => {
      const { gh, run } = await setup();
      gh.on("GET /repos/{owner}/{repo}/labels", (call) =>
        call.headers["if-none-match"] === '"v1"'
          ? new Response(null, { status: 304, headers: { etag: '"v1"' } })
          : jsonResponse(200, [{ name: "bug" }], { etag: '"v1"' }),
      );
      const config = { route: "GET /repos/{owner}/{repo}/labels" };
      const first = await run("github.get", { params: { owner: "octo", repo: "hello" } }, config);
      const second = await run("github.get", { params: { owner: "octo", repo: "hello" } }, config);
      expect([first.fromCache, second.fromCache]).toEqual([false, true]);
      expect(second.body).toEqual([{ name: "bug" }]);
      expect(second.status).toBe(200);
      expect(gh.calls.map((c) => c.headers["if-none-match"])).toEqual([undefined, '"v1"']);
      // Another identity (an App installation) does not see the token's cached body.
      await run(
        "github.get",
        { installationId: nextInstallation(), params: { owner: "octo", repo: "hello" } },
        config,
      );
      expect(gh.calls.at(-1)!.headers["if-none-match"]).toBeUndefined();
      await run("github.get", { params: { owner: "octo", repo: "hello" } }, { ...config, etag: false });
      expect(gh.calls.at(-1)!.headers["if-none-match"]).toBeUndefined();
    });

    it("paginates across 3 pages by Link header, bounded by maxPages", async () => {
      const { gh, run } = await setup();
      gh.on("GET /repos/{owner}/{repo}/pulls/{n}/files", (call) => {
        const page = Number(new URL(call.path, gh.base).searchParams.get("page") ?? "1");
        const next = `<${gh.base}/repos/octo/hello/pulls/9/files?per_page=100&page=${page + 1}>; rel="next"`;
        const last = `<${gh.base}/repos/octo/hello/pulls/9/files?per_page=100&page=3>; rel="last"`;
        return jsonResponse(
          200,
          [{ filename: `f${page}a` }, { filename: `f${page}b` }],
          page < 3 ? { link: `${next}, ${last}` } : {},
        );
      });
      const all = await run("github.listPullRequestFiles", { owner: "octo", repo: "hello", pull_number: 9 });
      expect((all.out as { filename: string }[]).map((f) => f.filename)).toEqual([
        "f1a",
        "f1b",
        "f2a",
        "f2b",
        "f3a",
        "f3b",
      ]);
      expect([all.pages, all.truncated]).toEqual([3, false]);
      expect(gh.lines()).toEqual([
        "GET /repos/octo/hello/pulls/9/files?per_page=100",
        "GET /repos/octo/hello/pulls/9/files?per_page=100&page=2",
        "GET /repos/octo/hello/pulls/9/files?per_page=100&page=3",
      ]);
      const two = await run(
        "github.listPullRequestFiles",
        { owner: "octo", repo: "hello", pull_number: 9 },
        { maxPages: 2, etag: false },
      );
      expect([two.pages, two.truncated, (two.out as unknown[]).length]).toEqual([2, true, 4]);
      gh.on("GET /repos/{owner}/{repo}/issues", () =>
        jsonResponse(200, [{ number: 1 }], { link: '<https://evil.example/steal?page=2>; rel="next"' }),
      );
      const away = await run(
        "github.get",
        { params: { owner: "octo", repo: "hello" } },
        { route: "GET /repos/{owner}/{repo}/issues", paginate: true },
      ).catch((e: FlowError) => e);
      expect((away as FlowError).code).toBe("GITHUB_REQUEST_FAILED");
      expect(gh.calls.some((c) => c.path.includes("steal"))).toBe(false);
    });

    it("an aborted signal stops a request in flight, and no request starts after an abort", async () => {
      const { gh, run } = await setup();
      gh.on("GET /repos/{owner}/{repo}", (_call, _params, request) => hang(request));
      const controller = new AbortController();
      const pending = run(
        "github.get",
        { params: { owner: "octo", repo: "hello" } },
        { route: "GET /repos/{owner}/{repo}" },
        controller.signal,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort(new Error("node timed out"));
      await expect(pending).rejects.toThrow("node timed out");
      await expect(run("github.comment", { ...issue, body: "x" }, {}, controller.signal)).rejects.toThrow(
        "node timed out",
      );
      expect(gh.lines()).toEqual(["GET /repos/octo/hello"]);
    });

    it("helpers send the documented method, route and body", async () => {
      const { gh, run } = await setup();
      gh.on("DELETE /repos/{owner}/{repo}/issues/{n}/labels/{name}", (_c, p) =>
        p.name === "absent" ? jsonResponse(404, { message: "Label does not exist" }) : jsonResponse(200, []),
      );
      for (const route of [
        "POST /repos/{owner}/{repo}/issues/{n}/labels",
        "PATCH /repos/{owner}/{repo}/issues/{n}",
        "POST /repos/{owner}/{repo}/issues/{n}/comments",
        "POST /repos/{owner}/{repo}/check-runs",
        "PATCH /repos/{owner}/{repo}/check-runs/{id}",
        "POST /repos/{owner}/{repo}/statuses/{sha}",
        "POST /repos/{owner}/{repo}/issues",
      ])
        gh.on(route, (call) =>
          jsonResponse(
            call.method === "POST" ? 201 : 200,
            route.endsWith("/labels") ? [{ name: "bug" }, { name: "ui" }] : { id: 77 },
          ),
        );
      const repo = { owner: "octo", repo: "hello" };
      expect((await run("github.addLabels", { ...issue, labels: ["bug", "ui"] })).out).toEqual(["bug", "ui"]);
      expect(await run("github.addLabels", { ...issue, labels: [] })).toEqual({ out: null, status: null });
      expect(
        (await run("github.removeLabels", { ...issue, labels: ["size/L", "absent", "a b/c"] })).out,
      ).toEqual(["size/L", "a b/c"]);
      await run("github.closeIssue", { ...issue, reason: "not_planned", comment: "Closing as stale." });
      await run("github.reopenIssue", issue);
      expect(
        (
          await run("github.createCheckRun", {
            ...repo,
            name: "lint",
            head_sha: "abc",
            status: "in_progress",
          })
        ).id,
      ).toBe(77);
      await run("github.updateCheckRun", {
        ...repo,
        check_run_id: 77,
        status: "completed",
        conclusion: "success",
        output: { title: "ok", summary: "fine" },
      });
      await run("github.setStatus", {
        ...repo,
        sha: "abc",
        state: "success",
        context: "flows",
        description: "all good",
      });
      await run(
        "github.request",
        { params: repo, body: { title: "New" } },
        { route: "POST /repos/{owner}/{repo}/issues" },
      );
      expect(gh.calls.map((c) => [c.method, c.path, c.body ?? null])).toEqual([
        ["POST", "/repos/octo/hello/issues/7/labels", { labels: ["bug", "ui"] }],
        ["DELETE", "/repos/octo/hello/issues/7/labels/size/L", null],
        ["DELETE", "/repos/octo/hello/issues/7/labels/absent", null],
        ["DELETE", "/repos/octo/hello/issues/7/labels/a b/c", null],
        ["POST", "/repos/octo/hello/issues/7/comments", { body: "Closing as stale." }],
        ["PATCH", "/repos/octo/hello/issues/7", { state: "closed", state_reason: "not_planned" }],
        ["PATCH", "/repos/octo/hello/issues/7", { state: "open" }],
        ["POST", "/repos/octo/hello/check-runs", { name: "lint", head_sha: "abc", status: "in_progress" }],
        [
          "PATCH",
          "/repos/octo/hello/check-runs/77",
          { status: "completed", conclusion: "success", output: { title: "ok", summary: "fine" } },
        ],
        [
          "POST",
          "/repos/octo/hello/statuses/abc",
          { state: "success", context: "flows", description: "all good" },
        ],
        ["POST", "/repos/octo/hello/issues", { title: "New" }],
      ]);
      // Path values are URL-encoded: a label with a slash stays one path segment.
      expect(gh.calls[1]!.headers).toBeDefined();
    });

    it("checks inputs before any request (NODE_INPUT_INVALID)", async () => {
      const { gh, fail } = await setup();
      expect((await fail("github.comment", { ...issue, body: "" })).code).toBe("NODE_INPUT_INVALID");
      expect((await fail("github.setStatus", { owner: "o", repo: "r", sha: "s", state: "great" })).code).toBe(
        "NODE_INPUT_INVALID",
      );
      expect((await fail("github.comment", { ...issue, installationId: "12; drop", body: "x" })).code).toBe(
        "NODE_INPUT_INVALID",
      );
      expect(
        (await fail("github.request", { params: { owner: "o" } }, { route: "GET /repos/{owner}/{repo}" }))
          .message,
      ).toContain("`{repo}`");
      expect(
        (
          await fail(
            "github.comment",
            { ...issue, installationId: 5, body: "x" },
            { auth: "app", appId: "NO_APP" },
          )
        ).code,
      ).toBe("BINDING_MISSING");
      expect(gh.calls).toEqual([]);
    });
  });
}
