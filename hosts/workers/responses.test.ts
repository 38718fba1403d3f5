import { describe, expect, it } from "vitest";
import { GITHUB_KINDS } from "../../capabilities/github/kinds.ts";
import { FakeGitHub, jsonResponse } from "../../capabilities/github/testing.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, FlowError, RetryAfterError } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";
import { errorResponse, failedRunResponse } from "./responses.ts";

const context = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;

describe("error responses: Retry-After", () => {
  it("answers GitHub's rate limit with 429, GITHUB_RATE_LIMITED and Retry-After in seconds", async () => {
    const gh = new FakeGitHub();
    gh.on("GET /repos/{owner}/{repo}", () =>
      jsonResponse(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "90" }),
    );
    const repo: FlowDocument = {
      flows: 1,
      id: "repo",
      version: "1.0.0",
      bindings: { GITHUB_TOKEN: { type: "secret" } },
      triggers: [{ type: "http", method: "GET", path: "/repo" }],
      nodes: [
        {
          id: "get",
          kind: "github.get",
          inputs: { params: { owner: "octo", repo: "hello" } },
          config: { route: "GET /repos/{owner}/{repo}", auth: "token", baseUrl: gh.base },
        },
      ],
    };
    const worker = createWorker([repo], {
      registry: createRegistry(BUILTIN_KINDS, GITHUB_KINDS),
      runOptions: () => ({ fetch: gh.fetch as typeof fetch }),
      log: () => {},
    });
    const response = await worker.fetch(
      new Request("http://flows.test/repo"),
      { GITHUB_TOKEN: "t" },
      context,
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("90");
    const { error } = (await response.json()) as {
      error: { code: string; details: { retryAfterMs: number } };
    };
    expect(error.code).toBe("GITHUB_RATE_LIMITED");
    expect(error.details.retryAfterMs).toBe(90_000);
  });

  it("rounds the delay up to whole seconds, and sets the header only on 429 and 503 for a RetryAfterError", () => {
    const limited = (ms: number, status = 429) =>
      new RetryAfterError(ms, "slow down", { code: "GITHUB_RATE_LIMITED", status, expose: true });
    const run = (error: FlowError) => failedRunResponse({ status: "failed", runId: "r1", error } as never);
    expect(run(limited(11_300)).headers.get("retry-after")).toBe("12");
    expect(run(limited(0)).headers.get("retry-after")).toBe("0");
    expect(errorResponse(limited(1_001, 503), "r2").headers.get("retry-after")).toBe("2");
    expect(run(limited(5_000, 502)).headers.get("retry-after")).toBeNull();
    const plain = new FlowError("GITHUB_RATE_LIMITED", "no delay known", { status: 429, expose: true });
    expect(run(plain).headers.get("retry-after")).toBeNull();
  });
});
