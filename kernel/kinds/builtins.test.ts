import { kindsSuite } from "../testing/suites/kinds.ts";

kindsSuite();
