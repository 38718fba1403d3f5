/**
 * Durable flows (`durable: true`): the platform limits of Cloudflare Workflows that the validator, the kernel and
 * the host enforce, with their sources in impl-docs/durable.md ("The platform's limits").
 */
export const DURABLE_LIMITS = Object.freeze({
  /** The largest value one step may return (persisted as the step's result). */
  stepOutputBytes: 1_048_576,
  /** Steps one instance may run: 1,024 on the Workers Free plan (10,000 by default on Paid; sleeps do not count). */
  stepsPerInstance: 1_024,
  /** The longest `step.sleep`. */
  sleepMs: 365 * 86_400_000,
  /** The longest `step.waitForEvent` timeout (undocumented: bounded as a sleep is). */
  waitMs: 365 * 86_400_000,
  /** An instance id: at most 100 characters from this set. */
  instanceIdLength: 100,
});

/** The characters of a Workflow instance id (and of an event type). */
export const INSTANCE_ID_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9_-]*$/;

/** An event type Workflows takes (`wait`'s `event`, the events route, `durable.event`): at most 100 of those. */
export const EVENT_TYPE_PATTERN = "^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,99}$";
const EVENT_TYPE = new RegExp(EVENT_TYPE_PATTERN);

export const isEventType = (type: unknown): type is string =>
  typeof type === "string" && EVENT_TYPE.test(type);

/** Whether a flow runs as a Workflow instance. */
export const isDurable = (doc: { durable?: boolean }): boolean => doc.durable === true;
