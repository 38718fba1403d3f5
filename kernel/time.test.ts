import { unitsSuite } from "./testing/suites/units.ts";

unitsSuite();
