import type { Hono } from "hono";
import type { RunOptions } from "../../../kernel/index.ts";
import type { FlowSet } from "../flow-set.ts";
import type { RunsRecorder } from "../runs/recording.ts";
import type { RunStore } from "../runs/store.ts";
import { RunRecorder } from "./recorder.ts";
import { registerViewer } from "./routes.ts";

/**
 * The run store as the viewer uses it: its history (when `FLOWS_RUNS` is bound, the same from every isolate and
 * across restarts), and the recording of the runs the viewer starts.
 */
export interface ViewerRuns {
  recorder: RunsRecorder;
  /** The run store of `env`, or undefined when it is not bound. */
  store(env: object): RunStore | undefined;
}

/**
 * The run viewer, as the host mounts it: its page and API on the app, and the recorder of the runs it follows.
 * Injected (`HostOptions.runViewer`), so that a Worker with the viewer off does not bundle the page.
 */
export interface RunViewer {
  mount(
    // biome-ignore lint/suspicious/noExplicitAny: mounted on the host's app whatever its env type.
    app: Hono<any>,
    set: FlowSet,
    runOptions: (bindings: object, runId: string) => RunOptions,
    runs?: ViewerRuns,
  ): RunRecorder;
}

/** The run viewer at `/_flows/` (see `./routes.ts`): what `createWorker` takes as `runViewer`. */
export const RUN_VIEWER: RunViewer = Object.freeze({
  mount: (app, set, runOptions, runs) => {
    const recorder = new RunRecorder();
    registerViewer(app, set, recorder, runOptions, runs);
    return recorder;
  },
} satisfies RunViewer);
