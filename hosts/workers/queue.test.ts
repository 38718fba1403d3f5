import { describe, expect, it } from "vitest";
import type { QueueRoute } from "./flow-set.ts";
import { DEFAULT_RETRY_DELAY_SECONDS, retryDelaySeconds } from "./queue.ts";

const route = (retryDelay?: string): QueueRoute => ({
  flowId: "f",
  triggerId: "queue",
  trigger: retryDelay ? { type: "queue", queue: "q", retryDelay } : { type: "queue", queue: "q" },
});

describe("retryDelaySeconds", () => {
  it("doubles the trigger's retry delay with each delivery attempt", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(route("10s"), attempt))).toEqual([10, 20, 40, 80]);
  });

  it("uses the default base delay when the trigger sets none", () => {
    expect(retryDelaySeconds(route(), 1)).toBe(DEFAULT_RETRY_DELAY_SECONDS);
  });

  it("caps the delay at the 12 hours Queues allow", () => {
    expect(retryDelaySeconds(route("1h"), 30)).toBe(12 * 60 * 60);
  });
});
