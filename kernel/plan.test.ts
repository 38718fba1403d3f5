import { planSuite } from "./testing/suites/plan.ts";

planSuite();
