import { streamingSuite } from "./testing/suites/streaming.ts";

streamingSuite();
