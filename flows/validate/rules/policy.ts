import { RUNS_POLICY_LIMITS } from "../../ir/runs.ts";
import type { Duration, RetryPolicyDecl } from "../../ir/types.ts";
import { childPointer } from "../../load/index.ts";
import { formatDuration, parseDuration } from "../../units/duration.ts";
import { type FlowCheck, nodeLabel } from "../context.ts";
import { nodeEffect } from "../summary.ts";

/** Workers limits the validator enforces (see impl-docs/errors.md). */
export const LIMITS = {
  /** Longest node timeout: 5 minutes (the longest CPU time a Worker invocation may use). */
  nodeTimeoutMs: 5 * 60_000,
  /** Longest run deadline: 15 minutes (the longest wall time of a queue or cron invocation). */
  deadlineMs: 15 * 60_000,
};

function checkDuration(
  check: FlowCheck,
  value: Duration | undefined,
  pointer: string,
  what: string,
  limitMs: number,
  limit: string,
): void {
  if (value === undefined) return;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= limitMs) return;
  check.report("FLOW_TIMEOUT_TOO_LONG", pointer, `${what} is ${value}; the limit is ${limit} on Workers`, {
    hint: `use at most ${limit}, or split the work across runs (queue or cron triggers)`,
  });
}

/** `runs.retention` within its bounds: a run store entry kept at least a minute and at most 90 days. */
function checkRetention(check: FlowCheck): void {
  const retention = check.doc.runs?.retention;
  if (retention === undefined) return;
  const ms = parseDuration(retention);
  const { minRetentionMs: min, maxRetentionMs: max } = RUNS_POLICY_LIMITS;
  if (ms === undefined || (ms >= min && ms <= max)) return;
  check.report(
    "FLOW_RETENTION_OUT_OF_RANGE",
    "/runs/retention",
    `runs.retention is ${retention}; it must be from ${formatDuration(min)} to ${formatDuration(max)}`,
    { hint: "to keep no runs, write `runs: { record: none }`" },
  );
}

/**
 * Policy rules: an effectful (write/external, counting its map template) node that may be retried needs an
 * `idempotencyKey` (or `retry.idempotent: true`), else the kernel would not retry it; timeouts and the deadline stay within the Workers limits, `runs.retention` within its bounds. A node's retry policy is
 * its own `retry`, else its kind's `defaultRetry`, else `defaults.retry`.
 */
export function checkPolicy(check: FlowCheck): void {
  checkRetention(check);
  const defaults = check.doc.defaults;
  checkDuration(
    check,
    defaults?.timeout,
    "/defaults/timeout",
    "the default node timeout",
    LIMITS.nodeTimeoutMs,
    "5m",
  );
  checkDuration(
    check,
    defaults?.deadline,
    "/defaults/deadline",
    "the run deadline",
    LIMITS.deadlineMs,
    "15m",
  );
  check.doc.nodes.forEach((node, i) => {
    const pointer = `/nodes/${i}`;
    const spec = check.specs[i];
    checkDuration(
      check,
      node.timeout,
      `${pointer}/timeout`,
      `the timeout of ${nodeLabel(node.id)}`,
      LIMITS.nodeTimeoutMs,
      "5m",
    );
    const effect = nodeEffect(check, i);
    if (!spec || (effect !== "write" && effect !== "external")) return;
    const [policy, source] = retryPolicy(node.retry, spec.defaultRetry, defaults?.retry);
    if (!policy || policy.attempts <= 1 || policy.idempotent === true || node.idempotencyKey !== undefined)
      return;
    const at = node.retry ? childPointer(pointer, "retry") : pointer;
    check.report(
      "FLOW_RETRY_NOT_IDEMPOTENT",
      at,
      `${nodeLabel(node.id, spec.kind)} has effect \`${effect}\` and may run ${policy.attempts} times (${source}) but has no idempotencyKey: a retry could repeat its effect`,
      {
        key: node.retry !== undefined,
        hint: "add `idempotencyKey: ${{ ... }}`, or set `retry.idempotent: true` if repeating it is safe, or `retry: { attempts: 1 }`",
      },
    );
  });
}

function retryPolicy(
  own: RetryPolicyDecl | undefined,
  kind: RetryPolicyDecl | undefined,
  flow: RetryPolicyDecl | undefined,
): [RetryPolicyDecl | undefined, string] {
  if (own) return [own, "its retry"];
  if (kind) return [kind, "its kind's default retry"];
  return [flow, "defaults.retry"];
}
