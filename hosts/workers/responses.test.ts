import { describe, expect, it } from "vitest";
import { GITHUB_KINDS } from "../../capabilities/github/kinds.ts";
import { FakeGitHub, jsonResponse } from "../../capabilities/github/testing.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, FlowError, RetryAfterError } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";
import { errorResponse, failedRunResponse, outputResponse } from "./responses.ts";

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

describe("outputResponse", () => {
  it("sets a respond node's status and headers (names case-insensitive, the last spelling wins, nulls left out)", async () => {
    const response = outputResponse(
      "r1",
      {
        status: 201,
        headers: { "Content-Type": "text/csv", "content-type": "text/plain", "X-Empty": null, __proto__x: 1 },
        body: "a,b",
      },
      true,
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.headers.has("x-empty")).toBe(false);
    expect(response.headers.get("x-flow-run-id")).toBe("r1");
    expect(await response.text()).toBe("a,b");
  });

  it("keeps the run id the host's, and a `__proto__` key from changing anything but headers", () => {
    const headers = JSON.parse('{"__proto__": {"polluted": "yes"}, "x-flow-run-id": "spoofed"}') as Record<
      string,
      string
    >;
    const response = outputResponse("r2", { headers, body: { ok: true } }, true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(response.headers.has("polluted")).toBe(false);
    expect(response.headers.get("x-flow-run-id")).toBe("r2");
    expect(response.headers.get("content-type")).toBe("application/json");
  });

  it("refuses an invalid header with RESPONSE_INVALID naming it", () => {
    const call = () => outputResponse("r3", { headers: { "bad name": "x" }, body: "" }, true);
    expect(call).toThrow(/response header "bad name" is not a valid header/);
    try {
      call();
    } catch (error) {
      expect((error as FlowError).code).toBe("RESPONSE_INVALID");
    }
  });

  it("answers any other output as JSON, bytes as octet-stream, 204 without a body", async () => {
    const json = outputResponse("r4", { n: 1 }, false);
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.json()).toEqual({ n: 1 });
    const bytes = outputResponse("r5", { body: new Uint8Array([1, 2]) }, true);
    expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(new Uint8Array([1, 2]));
    const empty = outputResponse("r6", { status: 204, body: "ignored" }, true);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe("");
  });
});
