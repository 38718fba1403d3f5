import {
  type ExecutionPlan,
  type RunEvent,
  type RunOptions,
  type RunResult,
  startRun,
} from "../../../kernel/index.ts";
import { formatSseComment } from "../sse/format.ts";
import {
  type EventLogSummary,
  RECORD_LIMITS,
  type RunRecord,
  runRecord,
  type StoredEvent,
  storedEvent,
  utf8Bytes,
} from "./record.ts";
import type { ResolvedRunsPolicy, RunsOptions } from "./recording.ts";

/**
 * Runs that outlive their connection (`onDisconnect: continue`, impl-docs/runs.md): the run is owned by its
 * `run:<runId>` FlowsRuns object, which executes the flow, appends each event to its log as it comes, and streams
 * to any number of followers (the first client, and every reconnect). Pure of `cloudflare:workers`: the object
 * (`./object.ts`) gives it its storage, and the flows come from the module registry below.
 */

/** What the object needs to run a flow of its module. */
export interface ContinuingFlow {
  plan: ExecutionPlan;
  flowVersion: string;
  policy: ResolvedRunsPolicy;
  runs: RunsOptions;
  heartbeatMs?: number;
  /** The host's options for every run (env, plans, ledger, clock…), for the object's `env`. */
  runOptions(env: object): RunOptions;
  /** The run's log line and metrics, once it ended (`env`: the object's, which has the Worker's bindings). */
  onDone?(result: RunResult, env: object): void;
}

/**
 * The flows of this module that have a continuing route, by flow id. `createFlowsApp` fills it when the module is
 * evaluated; the FlowsRuns object of the same module (in whichever isolate it lives) finds its flows here, since
 * every isolate of a Worker evaluates the same module top level.
 */
const REGISTRY = new Map<string, ContinuingFlow>();

export function registerContinuingFlow(flowId: string, flow: ContinuingFlow): void {
  REGISTRY.set(flowId, flow);
}

export function continuingFlow(flowId: string): ContinuingFlow | undefined {
  return REGISTRY.get(flowId);
}

/** What the host sends the object to start a continuing run. */
export interface ContinuingSpec {
  runId: string;
  flowId: string;
  flowVersion: string;
  trigger: { type: string; id: string };
  /** The trigger event (plain data: the host materialises the request's lazy fields). */
  event: unknown;
  /** Its stored form for the record (`storedInput`). */
  input: unknown;
  rerunOf?: string;
}

/** The object's side of a live run: its storage, all synchronous SQL but the index. */
export interface LiveStorage {
  append(event: StoredEvent): void;
  saveRecord(record: RunRecord): void;
  /** After the final record: the index line and the alarm (may do I/O). */
  finish(record: RunRecord, maxRuns: number): Promise<void>;
  read(afterId: number): StoredEvent[];
}

/** Reconnection delay the streams ask for (`retry:`), ms. */
export const RECONNECT_MS = 1_000;

/** The SSE id of a stored event of a run: `<runId>:<id>`, so a reconnect names its run. */
export const sseId = (runId: string, id: number): string => `${runId}:${id}`;

/** One stored event as an SSE frame (types and data hold no line break: kernel names, JSON text). */
export const sseFrame = (runId: string, event: StoredEvent): string =>
  `event: ${event.type}\nid: ${sseId(runId, event.id)}\ndata: ${event.data}\n\n`;

/** The opening of every resumable stream: a comment and the reconnection delay. */
export const STREAM_OPENING = `: flow run\nretry: ${RECONNECT_MS}\n\n`;

/**
 * An SSE id sent back (`Last-Event-ID`, `?lastEventId=`): `<runId>:<n>` or a bare `<n>`; undefined when it is
 * neither.
 */
export function parseEventId(text: string): { runId?: string; afterId: number } | undefined {
  const m = /^(?:([A-Za-z0-9_-]{1,100}):)?([0-9]{1,15})$/.exec(text.trim());
  if (!m) return undefined;
  return m[1] ? { runId: m[1], afterId: Number(m[2]) } : { afterId: Number(m[2]) };
}

const encoder = new TextEncoder();

/** A stream that replays stored events after an id, then (while the run goes on) its live frames. */
interface Follower {
  write(text: string): void;
  close(): void;
}

/** A live run inside its object. */
export class LiveRun {
  readonly runId: string;
  readonly #followers = new Set<Follower>();
  readonly #storage: LiveStorage;
  readonly #heartbeatMs: number;
  #cancel: (reason: string) => void = () => {};
  #ended = false;
  #stored = 0;
  #bytes = 0;
  #count = 0;
  #lastId = 0;
  #truncated = false;
  /** Resolves when the run has ended and its record is final. */
  readonly done: Promise<RunResult>;

  constructor(spec: ContinuingSpec, flow: ContinuingFlow, env: object, storage: LiveStorage, now: number) {
    this.runId = spec.runId;
    this.#storage = storage;
    this.#heartbeatMs = flow.heartbeatMs ?? 15_000;
    const base = flow.runOptions(env);
    const identity = {
      flowId: spec.flowId,
      flowVersion: spec.flowVersion,
      trigger: spec.trigger,
      retentionMs: flow.policy.retentionMs,
      input: spec.input,
      ...(spec.rerunOf ? { rerunOf: spec.rerunOf } : {}),
    };
    const provisional: RunRecord = {
      runId: spec.runId,
      flowId: spec.flowId,
      flowVersion: spec.flowVersion,
      trigger: spec.trigger,
      status: "running",
      startedAt: now,
      endedAt: 0,
      durationMs: 0,
      nodes: {},
      input: spec.input,
      continuing: true,
      events: { count: 0, stored: 0, lastId: 0 },
      // Kept at least as long as the run would be after ending now; the final record sets the real expiry.
      expiresAt: now + flow.policy.retentionMs,
    };
    if (spec.rerunOf) provisional.rerunOf = spec.rerunOf;
    storage.saveRecord(provisional);
    const events: RunEvent[] = [];
    const onEvent = (event: RunEvent): void => {
      base.onEvent?.(event);
      if (events.length < RECORD_LIMITS.events || event.type === "run.end") events.push(event);
      this.#publish(storedEvent(event.seq, event.type, event));
    };
    const handle = startRun(flow.plan, {
      ...base,
      runId: spec.runId,
      trigger: spec.event,
      onEvent,
      logsRunFailure: base.logsRunFailure ?? true,
    });
    this.#cancel = (reason) => handle.cancel(reason);
    this.done = handle.result.then(async (result) => {
      const { record, events: log } = runRecord(identity, result, events);
      const end = log.at(-1)!;
      this.#publish(end);
      record.events = this.#summary();
      this.#ended = true;
      storage.saveRecord(record);
      for (const follower of this.#followers) follower.close();
      this.#followers.clear();
      flow.onDone?.(result, env);
      await storage.finish(record, flow.policy.maxRuns);
      return result;
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Cancels the run (its nodes see their signals abort); resolves with its result. */
  cancel(reason: string): Promise<RunResult> {
    this.#cancel(reason);
    return this.done;
  }

  #summary(): EventLogSummary {
    const summary: EventLogSummary = { count: this.#count, stored: this.#stored, lastId: this.#lastId };
    if (this.#truncated) summary.truncated = true;
    return summary;
  }

  /** Stores one frame (within the live limits) and sends it to every follower, in the same turn. */
  #publish(event: StoredEvent): void {
    this.#count++;
    const size = utf8Bytes(event.data);
    if (this.#stored < RECORD_LIMITS.liveEvents && this.#bytes + size <= RECORD_LIMITS.liveLogBytes) {
      this.#storage.append(event);
      this.#stored++;
      this.#bytes += size;
      this.#lastId = event.id;
    } else this.#truncated = true;
    const frame = sseFrame(this.runId, event);
    for (const follower of this.#followers) follower.write(frame);
  }

  /**
   * A stream of the events after `afterId`: the stored ones, then the live ones until the run ends. The stored
   * part is read and the follower added in one synchronous step, so nothing falls between them and nothing
   * comes twice.
   */
  follow(afterId: number): ReadableStream<Uint8Array> {
    let follower: Follower | undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        let open = true;
        const stop = (): void => {
          open = false;
          if (heartbeat !== undefined) clearInterval(heartbeat);
          if (follower) this.#followers.delete(follower);
        };
        follower = {
          write: (text) => {
            if (open) controller.enqueue(encoder.encode(text));
          },
          close: () => {
            if (!open) return;
            stop();
            controller.close();
          },
        };
        let text = STREAM_OPENING;
        for (const event of this.#storage.read(afterId)) text += sseFrame(this.runId, event);
        controller.enqueue(encoder.encode(text));
        if (this.#ended) {
          follower.close();
          return;
        }
        this.#followers.add(follower);
        heartbeat = setInterval(() => follower?.write(formatSseComment("heartbeat")), this.#heartbeatMs);
      },
      cancel: () => {
        // A client left: the run goes on (that is what `continue` means); only this stream stops.
        if (heartbeat !== undefined) clearInterval(heartbeat);
        if (follower) this.#followers.delete(follower);
      },
    });
  }
}

/** A stream of stored events only (a run that ended, or that is not live in this object): then it closes. */
export function storedStream(runId: string, events: readonly StoredEvent[]): ReadableStream<Uint8Array> {
  let text = STREAM_OPENING;
  for (const event of events) text += sseFrame(runId, event);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(text));
      controller.close();
    },
  });
}
