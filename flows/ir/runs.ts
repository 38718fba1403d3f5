import type { RunsPolicy } from "./types.ts";

/**
 * The run store's policy of a flow (`runs:` in a flow file): the built-in defaults, used for each field that
 * neither the flow nor the deployment (`createWorker({ runs })`) sets, and the bounds the validator enforces.
 * `failed` by default, so that a successful run costs nothing (see impl-docs/runs.md).
 */
export const DEFAULT_RUNS_POLICY: Readonly<Required<RunsPolicy>> = Object.freeze({
  record: "failed",
  retention: "7d",
  maxRuns: 1000,
});

/** Bounds of `runs.retention` (milliseconds) and `runs.maxRuns`. */
export const RUNS_POLICY_LIMITS = Object.freeze({
  minRetentionMs: 60_000,
  maxRetentionMs: 90 * 86_400_000,
  maxRuns: 100_000,
});
