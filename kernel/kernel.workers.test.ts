import { kernelSuite } from "./testing/suite.ts";

// The same kernel suite as the Node project, inside workerd: Workers' fetch, streams, timers and AbortSignal.
kernelSuite();
