import { backpressureSuite } from "./testing/suites/backpressure.ts";
import { streamingSuite } from "./testing/suites/streaming.ts";

streamingSuite();
backpressureSuite();
