import { durableSuite } from "./testing/suites/durable.ts";

durableSuite();
