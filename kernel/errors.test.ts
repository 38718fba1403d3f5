import { errorsSuite } from "./testing/suites/errors.ts";

errorsSuite();
