import { propertiesSuite } from "./testing/suites/properties.ts";
import { schedulingSuite } from "./testing/suites/scheduling.ts";

schedulingSuite();
propertiesSuite();
