import type { NodeTiming, SkipReason, SkipStep } from "./events.ts";
import type { ExecutionPlan, PlannedNode } from "./plan.ts";
import type { Outputs } from "./step.ts";

export const PENDING = 0;
export const RUNNING = 1;
export const STREAMING = 2;
export const DONE = 3;
export const SKIPPED = 4;
export const FAILED = 5;

/**
 * The per-node state of one run, in flat arrays copied from the plan: plain arrays (allocating typed arrays
 * costs more than the work of a small run), and the timestamps in an array that already holds doubles (so
 * that storing one does not convert the array on every run). Owned by the run (`run.ts`), which alone calls the
 * methods that change it.
 */
export class NodeTable {
  readonly plan: ExecutionPlan;
  readonly #state: number[];
  /** Sources each node still waits for. */
  readonly #remaining: number[];
  readonly #outputs: (Outputs | undefined)[];
  /** Start of node i at `2i`, end at `2i + 1`. */
  readonly #times: number[];
  readonly #attempts: number[];

  constructor(plan: ExecutionPlan) {
    this.plan = plan;
    this.#state = plan.zeros.slice();
    this.#remaining = plan.waitCounts.slice();
    this.#outputs = new Array(plan.nodes.length);
    this.#times = plan.timeZeros.slice();
    this.#attempts = plan.zeros.slice();
  }

  /** Node i's outputs, once produced. */
  outputsOf(i: number): Outputs | undefined {
    return this.#outputs[i];
  }

  attemptsOf(i: number): number {
    return this.#attempts[i]!;
  }

  /** Milliseconds from node i's start to `at`. */
  since(i: number, at: number): number {
    return at - this.#times[2 * i]!;
  }

  start(i: number, at: number): void {
    this.#state[i] = RUNNING;
    this.#times[2 * i] = at;
  }

  skip(i: number, at: number): void {
    this.#state[i] = SKIPPED;
    this.#times[2 * i] = at;
    this.#times[2 * i + 1] = at;
  }

  produce(i: number, outputs: Outputs, attempts: number): void {
    this.#outputs[i] = outputs;
    this.#attempts[i] = attempts;
  }

  stream(i: number): void {
    this.#state[i] = STREAMING;
  }

  end(i: number, at: number): void {
    this.#state[i] = DONE;
    this.#times[2 * i + 1] = at;
  }

  /** Node i failed at `at`, after `attempts` attempts when known. */
  fail(i: number, at: number, attempts: number | undefined): void {
    this.#state[i] = FAILED;
    this.#times[2 * i + 1] = at;
    if (attempts !== undefined) this.#attempts[i] = attempts;
  }

  /** Counts one settled source off each dependant; those with none left go on `ready`. */
  release(dependants: readonly number[], ready: number[]): void {
    const remaining = this.#remaining;
    for (const d of dependants) if (--remaining[d]! === 0) ready.push(d);
  }

  /** Why a (non-join) node must be skipped: a skipped source, or a port its source did not emit. */
  skipReason(node: PlannedNode): SkipReason | undefined {
    // Indexed loops: this runs for every node of every run, and an iterator is an allocation where not optimised.
    const state = this.#state;
    const sources = node.skipSources;
    for (let s = 0; s < sources.length; s++) if (state[sources[s]!] === SKIPPED) return "dependency";
    const checks = node.portChecks;
    for (let c = 0; c < checks.length; c++) {
      const ref = checks[c]!;
      if (!(ref.port! in this.#outputs[ref.node]!)) return "port";
    }
    return undefined;
  }

  /**
   * Why skipped node `i` was skipped, back to the node where the skipping began: each step follows a skipped source
   * it read; the last is a `when` that was false or a port that was not emitted. Asked once a run has ended.
   */
  skipTrail(i: number): SkipStep[] {
    const nodes = this.plan.nodes;
    const trail: SkipStep[] = [];
    for (let at = i; ; ) {
      const node = nodes[at]!;
      // A join that had some input to run with was skipped by its own `when`.
      if (node.join && this.joinAvailability(node) !== undefined) {
        trail.push({ nodeId: node.id, reason: "when" });
        return trail;
      }
      const source = node.skipSources.find((s) => this.#state[s] === SKIPPED);
      if (source !== undefined) {
        trail.push({ nodeId: node.id, reason: "dependency", source: nodes[source]!.id });
        at = source;
        continue;
      }
      const missing = node.portChecks.find((ref) => !(ref.port! in (this.#outputs[ref.node] ?? {})));
      if (missing) {
        trail.push({ nodeId: node.id, reason: "port", source: nodes[missing.node]!.id, port: missing.port! });
      } else trail.push({ nodeId: node.id, reason: "when" });
      return trail;
    }
  }

  /** Which inputs of a join have all their sources available; undefined when none has. */
  joinAvailability(node: PlannedNode): boolean[] | undefined {
    let any = false;
    const available = node.inputSources.map(({ sources }) => {
      const ok = sources.every((ref) => {
        const outputs = this.#outputs[ref.node];
        return outputs !== undefined && (ref.port === undefined || ref.port in outputs);
      });
      any ||= ok;
      return ok;
    });
    return any ? available : undefined;
  }

  /** Timings of the nodes that started or were skipped. */
  timings(): Record<string, NodeTiming> {
    const out: Record<string, NodeTiming> = {};
    const nodes = this.plan.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const state = this.#state[i]!;
      if (state === PENDING) continue;
      const startedAt = this.#times[2 * i]!;
      const endedAt = state === RUNNING || state === STREAMING ? startedAt : this.#times[2 * i + 1]!;
      const status = state === SKIPPED ? "skipped" : state === FAILED ? "failed" : "ok";
      out[nodes[i]!.id] = {
        status,
        startedAt,
        endedAt,
        durationMs: endedAt - startedAt,
        attempts: this.#attempts[i]!,
      };
    }
    return out;
  }
}
