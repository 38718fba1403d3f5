import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_BODY_BYTES } from "../../hosts/workers/body.ts";
import { DEFAULT_RETRY_DELAY_SECONDS } from "../../hosts/workers/queue.ts";
import { DEFAULT_DEADLINE_MS, resolveRetry } from "../../kernel/index.ts";
import { BUILTIN_KIND_SPECS } from "../../kernel/kinds/specs.ts";
import { DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS } from "../../kernel/retry.ts";
import type { Effect, FlowDocument, RetryPolicyDecl } from "../ir/types.ts";
import { RUNTIME_DEFAULTS } from "./defaults.ts";
import { flowModel } from "./model.ts";

describe("the plan's copy of the runtime's defaults", () => {
  it("is the kernel's and the Workers host's", () => {
    expect(RUNTIME_DEFAULTS).toEqual({
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      deadlineMs: DEFAULT_DEADLINE_MS,
      retryDelayMs: DEFAULT_RETRY_DELAY_MS,
      retryMaxDelayMs: DEFAULT_RETRY_MAX_DELAY_MS,
      retryBackoff: resolveRetry({ attempts: 2 }, "pure", false).backoff,
      queueRetryDelayMs: DEFAULT_RETRY_DELAY_SECONDS * 1000,
    });
  });

  it("resolves retries as the kernel does, for every effect, with and without a key or `idempotent`", () => {
    const catalog = {
      ...BUILTIN_KIND_SPECS,
      ...Object.fromEntries(
        (["pure", "read", "write", "external"] as Effect[]).map((effect) => [
          `test.${effect}`,
          { ...BUILTIN_KIND_SPECS.transform!, kind: `test.${effect}`, effect },
        ]),
      ),
    };
    const policies: RetryPolicyDecl[] = [
      { attempts: 1 },
      { attempts: 4 },
      { attempts: 3, idempotent: true, backoff: "linear", delay: "1s", maxDelay: "5s", jitter: true },
    ];
    for (const effect of ["pure", "read", "write", "external"] as Effect[]) {
      for (const retry of policies) {
        for (const keyed of [false, true]) {
          const doc = {
            flows: 1,
            id: "x",
            version: "1.0.0",
            triggers: [],
            nodes: [
              { id: "n", kind: `test.${effect}`, retry, ...(keyed ? { idempotencyKey: "run.id" } : {}) },
            ],
          } as FlowDocument;
          const ours = flowModel(doc, "x.yaml", catalog).nodes.get("n")!.retry;
          const kernel = resolveRetry(retry, effect, keyed);
          expect(ours.attempts).toBe(kernel.attempts);
          if (kernel.attempts > 1)
            expect(ours).toEqual({
              attempts: kernel.attempts,
              backoff: kernel.backoff,
              delayMs: kernel.delayMs,
              maxDelayMs: kernel.maxDelayMs,
              jitter: kernel.jitter,
            });
        }
      }
    }
  });
});
