import { handOffSuite } from "./testing/suites/hand-off.ts";

handOffSuite();
