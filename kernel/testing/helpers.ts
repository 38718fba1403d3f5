import { HTTP_KINDS } from "../../capabilities/http/kinds.ts";
import type { FlowDocument, Json, NodeDecl } from "../../flows/ir/types.ts";
import type { NodeKindSpec } from "../../flows/kinds/spec.ts";
import type { RunEvent } from "../events.ts";
import { BUILTIN_KINDS } from "../kinds/builtins.ts";
import { createRegistry } from "../kinds/registry.ts";
import type { KindRegistry, Logger, NodeContext, NodeKind, NodeResult } from "../kinds/types.ts";
import { createPlan, type ExecutionPlan } from "../plan.ts";

/** Test helpers shared by the Node and workerd runs of the kernel suites. Not part of the public surface. */

/** A flow document around these nodes. */
export function flow(nodes: NodeDecl[], extra: Partial<FlowDocument> = {}): FlowDocument {
  return {
    flows: 1,
    id: "test-flow",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/t" }],
    nodes,
    ...extra,
  };
}

/** A logger that keeps lines in memory. */
export function memoryLogger(): Logger & { lines: { level: string; message: string; fields?: unknown }[] } {
  const lines: { level: string; message: string; fields?: unknown }[] = [];
  return { lines, log: (level, message, fields) => lines.push({ level, message, fields }) };
}

/** One call of a probe kind. */
export interface ProbeCall {
  nodeId: string;
  attempt: number;
  inputs: Readonly<Record<string, unknown>>;
  startedAt: number;
  endedAt?: number;
  aborted?: unknown;
}

export interface ProbeOptions {
  effect?: NodeKindSpec["effect"];
  determinism?: NodeKindSpec["determinism"];
  /** Milliseconds to wait (on the signal) before answering; 0 answers synchronously. */
  delayMs?: number;
  /** Ignore the abort signal while waiting (a badly behaved node). */
  ignoreSignal?: boolean;
  /** Throws this (per attempt, 1-based) instead of answering. */
  fail?: (attempt: number, ctx: NodeContext) => unknown;
  /** The answer; default `{ out: inputs }`. */
  answer?: (ctx: NodeContext) => NodeResult;
  defaultRetry?: NodeKindSpec["defaultRetry"];
  defaultTimeout?: string;
}

/**
 * A node kind that records its calls (`probe.calls`) and how many run at once (`probe.maxRunning`), with a
 * configurable delay, effect and failures.
 */
export function probeKind(
  name: string,
  options: ProbeOptions = {},
): NodeKind & { calls: ProbeCall[]; running: number; maxRunning: number } {
  const spec: NodeKindSpec = {
    kind: name,
    description: `test kind ${name}`,
    effect: options.effect ?? "pure",
    determinism: options.determinism ?? "strict",
    inputs: {},
    openInputs: true,
    outputs: { out: {} },
    configSchema: { type: "object" },
    ...(options.defaultRetry && { defaultRetry: options.defaultRetry }),
    ...(options.defaultTimeout && { defaultTimeout: options.defaultTimeout }),
  };
  const probe = {
    spec,
    calls: [] as ProbeCall[],
    running: 0,
    maxRunning: 0,
    run(ctx: NodeContext): NodeResult | Promise<NodeResult> {
      const call: ProbeCall = {
        nodeId: ctx.nodeId,
        attempt: ctx.attempt,
        inputs: ctx.inputs,
        startedAt: performance.now(),
      };
      probe.calls.push(call);
      const answer = (): NodeResult => {
        const failure = options.fail?.(ctx.attempt, ctx);
        if (failure !== undefined) throw failure;
        return options.answer ? options.answer(ctx) : { out: ctx.inputs };
      };
      if (!options.delayMs) {
        call.endedAt = call.startedAt;
        return answer();
      }
      probe.running++;
      probe.maxRunning = Math.max(probe.maxRunning, probe.running);
      const done = (): void => {
        probe.running--;
        call.endedAt = performance.now();
      };
      const wait = options.ignoreSignal
        ? new Promise<void>((resolve) => setTimeout(resolve, options.delayMs))
        : ctx.sleep(options.delayMs);
      return wait.then(
        () => {
          done();
          return answer();
        },
        (reason) => {
          done();
          call.aborted = reason;
          throw reason;
        },
      );
    },
  };
  return probe;
}

/** The built-in kinds plus these. */
export function registryWith(...kinds: NodeKind[]): KindRegistry {
  // http.fetch (a capability) is the kernel suites' external kind: timeouts, retries and idempotency keys on a
  // real request.
  return createRegistry(BUILTIN_KINDS, HTTP_KINDS, ...kinds);
}

/** A plan of these nodes, with these extra kinds. */
export function planOf(
  nodes: NodeDecl[],
  kinds: NodeKind[] = [],
  extra: Partial<FlowDocument> = {},
): ExecutionPlan {
  return createPlan(flow(nodes, extra), { registry: registryWith(...kinds) });
}

/** A node declaration. */
export const node = (id: string, kind: string, rest: Partial<NodeDecl> = {}): NodeDecl => ({
  id,
  kind,
  ...rest,
});

/** `${{ nodes.<id>.out }}` */
export const ref = (id: string, port = "out"): Json => `\${{ nodes.${id}.${port} }}`;

/** Collects events. */
export function eventLog(): { events: RunEvent[]; onEvent: (event: RunEvent) => void } {
  const events: RunEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

/** Events of a type, for one node. */
export const eventsOf = (events: RunEvent[], type: RunEvent["type"], nodeId?: string): RunEvent[] =>
  events.filter((e) => e.type === type && (nodeId === undefined || ("nodeId" in e && e.nodeId === nodeId)));

/**
 * Checks the event grammar of one run; returns the problems found (empty when well formed): seq 1, 2, 3…;
 * run.start first and run.end last, once each; one runId; per node: at most one node.start, then only
 * output/chunk/retry events, then exactly one node.end or node.error; node.skipped alone; `at` never
 * decreasing.
 */
export function eventProblems(events: readonly RunEvent[]): string[] {
  const problems: string[] = [];
  const state = new Map<string, "started" | "ended" | "skipped">();
  events.forEach((event, i) => {
    if (event.seq !== i + 1) problems.push(`event ${i} has seq ${event.seq}`);
    if (event.runId !== events[0]?.runId) problems.push(`event ${event.seq} has another runId`);
    if (i > 0 && event.at < events[i - 1]!.at) problems.push(`event ${event.seq} goes back in time`);
    if ((event.type === "run.start") !== (i === 0)) problems.push(`run.start at position ${i}`);
    if ((event.type === "run.end") !== (i === events.length - 1)) problems.push(`run.end at position ${i}`);
    if (!("nodeId" in event)) return;
    const current = state.get(event.nodeId);
    const where = `${event.type} of ${event.nodeId} (seq ${event.seq})`;
    if (event.type === "node.start") {
      if (current) problems.push(`${where} after ${current}`);
      state.set(event.nodeId, "started");
    } else if (event.type === "node.skipped") {
      if (current) problems.push(`${where} after ${current}`);
      state.set(event.nodeId, "skipped");
    } else if (event.type === "node.end" || event.type === "node.error") {
      if (current !== "started") problems.push(`${where} while ${current ?? "not started"}`);
      state.set(event.nodeId, "ended");
    } else if (current !== "started") problems.push(`${where} while ${current ?? "not started"}`);
  });
  for (const [nodeId, s] of state) if (s === "started") problems.push(`node ${nodeId} never ended`);
  return problems;
}

/**
 * A fetch that answers from `handler` and honours the request's signal: a handler that never settles is
 * interrupted by an abort (recorded in `aborted`), as a real fetch would be.
 */
export function mockFetch(handler: (request: Request) => Promise<Response> | Response): typeof fetch & {
  requests: Request[];
  aborted: unknown[];
} {
  const requests: Request[] = [];
  const aborted: unknown[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) {
      aborted.push(signal.reason);
      throw signal.reason;
    }
    return new Promise<Response>((resolve, reject) => {
      const onAbort = (): void => {
        aborted.push(signal?.reason);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      Promise.resolve(handler(request)).then(
        (response) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(response);
        },
        (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }) as typeof fetch & { requests: Request[]; aborted: unknown[] };
  fn.requests = requests;
  fn.aborted = aborted;
  return fn;
}

/** Resolves after `ms` real milliseconds. */
export const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise that never settles (until its signal aborts, when one is given). */
export const never = (signal?: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
