import {
  type DurableStepConfig,
  FlowError,
  isRetriable,
  type StepEngine,
  toFlowError,
  waitTimeout,
} from "../../../kernel/index.ts";

/**
 * The kernel's durable engine on Cloudflare Workflows' `step`. Each kernel step is one `step.do` whose retries and
 * timeout come from the node's policy; an error the kernel would not retry is thrown as the platform's
 * NonRetryableError. Errors lose their class across a step (the platform keeps a name and a message), so a
 * FlowError travels encoded in its message (`encodeFlowError`) and is decoded when the step rejects.
 */

/** The part of Workflows' `WorkflowStep` the engine uses (typed here so that this module loads in Node too). */
export interface PlatformStep {
  do<T>(name: string, config: PlatformStepConfig, callback: () => Promise<T>): Promise<T>;
  sleep(name: string, duration: number): Promise<void>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<T>(
    name: string,
    options: { type: string; timeout?: number },
  ): Promise<{ payload: Readonly<T>; timestamp: Date; type: string }>;
}

export interface PlatformStepConfig {
  retries: { limit: number; delay: number; backoff: "constant" | "linear" | "exponential" };
  timeout?: number;
}

const MARK = "flows-error ";

/** A FlowError as an error message that survives the platform: `CODE: message flows-error {json}`. */
export function encodeFlowError(error: unknown): string {
  const flow = toFlowError(error);
  // An unexpected error's own message stays out of the envelope (it may not reach a client), but not out of the log.
  const cause =
    error instanceof FlowError
      ? undefined
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  const body = {
    code: flow.code,
    message: flow.message,
    status: flow.status,
    expose: flow.expose,
    details: flow.details,
    nodeId: flow.nodeId,
    cause,
  };
  return `${flow.code}: ${flow.message} ${MARK}${JSON.stringify(body)}`;
}

/** The FlowError an encoded message carries, else a FlowError INTERNAL with the platform's message as its cause. */
export function decodeFlowError(error: unknown): FlowError {
  if (error instanceof FlowError) return error;
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  const at = message.indexOf(MARK);
  if (at !== -1) {
    try {
      const body = JSON.parse(message.slice(at + MARK.length)) as {
        code: string;
        message: string;
        status: number;
        expose: boolean;
        details?: unknown;
        nodeId?: string;
        cause?: string;
      };
      return new FlowError(body.code, body.message, {
        status: body.status,
        expose: body.expose,
        details: body.details,
        ...(body.nodeId ? { nodeId: body.nodeId } : {}),
        ...(body.cause ? { cause: body.cause } : {}),
      });
    } catch {
      // Not ours after all: reported as INTERNAL below.
    }
  }
  return new FlowError("INTERNAL", "a durable step failed", { cause: error, expose: false });
}

/** Workflows' own timeout of a step (an error of its own, which arrives as a plain Error). */
const PLATFORM_TIMEOUT = /WorkflowTimeoutError|timed out/i;

/**
 * The engine for one instance's `run(event, step)`. `nonRetryable` makes the platform's NonRetryableError (from
 * `cloudflare:workflows`, which only a Worker can import).
 */
export function workflowEngine(step: PlatformStep, nonRetryable: (message: string) => Error): StepEngine {
  return {
    async do(name, config: DurableStepConfig, work) {
      try {
        return await step.do(name, platformConfig(config), async () => {
          try {
            return await work();
          } catch (error) {
            const message = encodeFlowError(error);
            throw isRetriable(error) ? new Error(message) : nonRetryable(message);
          }
        });
      } catch (error) {
        throw decodeFlowError(error);
      }
    },
    sleep: (name, ms) => step.sleep(name, ms),
    sleepUntil: (name, timestamp) => step.sleepUntil(name, timestamp),
    async waitForEvent(name, { type, timeoutMs }) {
      try {
        const event = await step.waitForEvent<unknown>(name, { type, timeout: timeoutMs });
        return { type: event.type, payload: event.payload, timestamp: new Date(event.timestamp).getTime() };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (PLATFORM_TIMEOUT.test(message)) throw waitTimeout(name, type, timeoutMs);
        throw decodeFlowError(error);
      }
    },
  };
}

/** A node's policy as a step's config: attempts after the first, the base delay, the backoff; its timeout. */
export function platformConfig(config: DurableStepConfig): PlatformStepConfig {
  const { retry, timeoutMs } = config;
  return {
    retries: { limit: Math.max(0, retry.attempts - 1), delay: retry.delayMs, backoff: retry.backoff },
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
  };
}
