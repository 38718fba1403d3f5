import type { StepEngine } from "../../../kernel/index.ts";
import type { DurableWait } from "../runs/object.ts";

/** Where a durable run notes what it waits for (its `run:<id>` object in the run store), if anywhere. */
export type WaitNotes = (step: string, wait: DurableWait | null) => Promise<void>;

/**
 * `engine` with every sleep and wait noted while it lasts (and cleared after), so that the run API can answer
 * `waiting` and say for what. A note that fails is logged by `onError` and does not stop the run; on a replay a
 * finished wait is noted and cleared at once.
 */
export function trackWaits(
  engine: StepEngine,
  notes: WaitNotes,
  now: () => number,
  onError: (error: unknown) => void,
): StepEngine {
  const note = async (step: string, wait: DurableWait | null): Promise<void> => {
    try {
      await notes(step, wait);
    } catch (error) {
      onError(error);
    }
  };
  const during = async <T>(wait: DurableWait, work: () => Promise<T>): Promise<T> => {
    await note(wait.step, wait);
    try {
      return await work();
    } finally {
      await note(wait.step, null);
    }
  };
  const at = (ms: number): string => new Date(ms).toISOString();
  return {
    do: (name, config, work) => engine.do(name, config, work),
    sleep: (name, ms) =>
      during({ step: name, kind: "sleep", until: at(now() + ms) }, () => engine.sleep(name, ms)),
    sleepUntil: (name, timestamp) =>
      during({ step: name, kind: "sleep", until: at(timestamp) }, () => engine.sleepUntil(name, timestamp)),
    waitForEvent: (name, options) =>
      during({ step: name, kind: "event", event: options.type, until: at(now() + options.timeoutMs) }, () =>
        engine.waitForEvent(name, options),
      ),
  };
}
