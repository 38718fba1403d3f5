import { journalSuite } from "./testing/suites/journal.ts";

journalSuite();
