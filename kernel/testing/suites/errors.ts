import { describe, expect, it } from "vitest";
import {
  FlowError,
  isRetriable,
  NonRetriableError,
  RetryAfterError,
  toEnvelope,
  toFlowError,
} from "../../errors.ts";
import { runFlow } from "../../executor.ts";
import { memoryLogger, node, planOf, probeKind } from "../helpers.ts";

/** The error type, its envelope, and what never reaches a client. */
export function errorsSuite(): void {
  describe("errors", () => {
    it("names a FlowError after its code and fills status and exposure from the code", () => {
      const error = new FlowError("NODE_TIMEOUT", "node `a` timed out after 5s");
      expect(error.name).toBe("FlowError [NODE_TIMEOUT]");
      expect(error).toBeInstanceOf(Error);
      expect([error.status, error.expose, error.retriable]).toEqual([504, true, true]);
      expect(String(error)).toBe("FlowError [NODE_TIMEOUT]: node `a` timed out after 5s");
    });

    it("treats codes it does not know (a fail node's) as user errors with status 500 unless told", () => {
      const error = new FlowError("ORDER_CLOSED", "order 7 is closed", {
        status: 409,
        details: { order: 7 },
      });
      expect([error.status, error.expose, error.retriable]).toEqual([409, true, false]);
    });

    it("rejects a code that is not UPPER_SNAKE", () => {
      expect(() => new FlowError("bad-code", "x")).toThrowError(TypeError);
    });

    it("serialises to the envelope with code, message, details, runId and nodeId", () => {
      const error = new FlowError("ORDER_CLOSED", "order 7 is closed", {
        details: { order: 7 },
        runId: "r1",
        nodeId: "check",
      });
      expect(JSON.parse(JSON.stringify(error))).toEqual({
        error: {
          code: "ORDER_CLOSED",
          message: "order 7 is closed",
          details: { order: 7 },
          runId: "r1",
          nodeId: "check",
        },
      });
    });

    it("never puts an unexpected error's message in the envelope: INTERNAL plus the run id", () => {
      const envelope = toEnvelope(new Error("password=hunter2 rejected by db"), "run-9");
      expect(envelope).toEqual({
        error: {
          code: "INTERNAL",
          message: "An internal error occurred; the run id locates the cause in the logs.",
          runId: "run-9",
        },
      });
      expect(JSON.stringify(envelope)).not.toContain("hunter2");
      expect(toEnvelope("a string", "run-9").error.code).toBe("INTERNAL");
    });

    it("keeps a system error's code but hides its message and details", () => {
      const error = new FlowError("JOURNAL_FAILED", "could not write step `a#1` to table secrets_v2", {
        details: { table: "secrets_v2" },
      });
      const body = toEnvelope(error, "r").error;
      expect(body.code).toBe("JOURNAL_FAILED");
      expect(body.message).not.toContain("secrets_v2");
      expect(body.details).toBeUndefined();
    });

    it("wraps unknown values as INTERNAL keeping the cause for the log", () => {
      const cause = new Error("boom");
      const error = toFlowError(cause, "r", "n");
      expect([error.code, error.cause, error.runId, error.nodeId]).toEqual(["INTERNAL", cause, "r", "n"]);
      const flowError = new FlowError("X_Y", "m");
      expect(toFlowError(flowError)).toBe(flowError);
    });

    it("offers control-flow errors for nodes: do not retry, retry after N ms", () => {
      const stop = new NonRetriableError("archived", { code: "REPO_ARCHIVED", status: 409, expose: true });
      expect([stop.code, stop.status, stop.retriable, stop instanceof FlowError]).toEqual([
        "REPO_ARCHIVED",
        409,
        false,
        true,
      ]);
      const later = new RetryAfterError(1_500, "rate limited");
      expect([later.code, later.retryAfterMs, later.retriable, later.expose]).toEqual([
        "NODE_FAILED",
        1_500,
        true,
        false,
      ]);
      expect(isRetriable(new Error("x"))).toBe(true);
      expect(isRetriable(stop)).toBe(false);
    });

    it("turns a node's unexpected error into INTERNAL for clients and logs the cause", async () => {
      const kind = probeKind("leaky", {
        fail: () => new Error("SELECT * FROM users failed: password=hunter2"),
      });
      const logger = memoryLogger();
      const result = await runFlow(planOf([node("q", "leaky")], [kind]), { logger, runId: "run-1" });
      expect(result.error?.code).toBe("INTERNAL");
      expect(JSON.stringify(result.error)).not.toContain("hunter2");
      expect(JSON.parse(JSON.stringify(result.error))).toMatchObject({
        error: { code: "INTERNAL", runId: "run-1", nodeId: "q" },
      });
      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]).toMatchObject({
        level: "error",
        fields: { runId: "run-1", nodeId: "q", code: "INTERNAL" },
      });
      expect(JSON.stringify(logger.lines[0])).toContain("hunter2");
    });

    it("ends the run with a fail node's user error: code, status, message, details", async () => {
      const plan = planOf([
        node("stop", "fail", {
          inputs: { message: "${{ 'no user ' + trigger.name }}", details: { name: "${{ trigger.name }}" } },
          config: { code: "USER_NOT_FOUND", status: 404 },
        }),
      ]);
      const result = await runFlow(plan, { trigger: { name: "bob" }, logger: memoryLogger(), runId: "r" });
      expect(result.status).toBe("failed");
      expect(result.error?.toJSON()).toEqual({
        error: {
          code: "USER_NOT_FOUND",
          message: "no user bob",
          details: { name: "bob" },
          runId: "r",
          nodeId: "stop",
        },
      });
      expect(result.error?.status).toBe(404);
    });
  });
}
