import { ledgerSuite } from "./testing/suites/ledger.ts";

ledgerSuite();
