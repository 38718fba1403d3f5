import { eventsSuite } from "./testing/suites/events.ts";

eventsSuite();
