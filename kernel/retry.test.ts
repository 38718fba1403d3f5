import { retriesSuite } from "./testing/suites/retries.ts";

retriesSuite();
