import { backpressureSuite } from "./suites/backpressure.ts";
import { cancellationSuite } from "./suites/cancellation.ts";
import { durableSuite } from "./suites/durable.ts";
import { errorsSuite } from "./suites/errors.ts";
import { eventsSuite } from "./suites/events.ts";
import { handOffSuite } from "./suites/hand-off.ts";
import { journalSuite } from "./suites/journal.ts";
import { kindsSuite } from "./suites/kinds.ts";
import { ledgerSuite } from "./suites/ledger.ts";
import { planSuite } from "./suites/plan.ts";
import { propertiesSuite } from "./suites/properties.ts";
import { retriesSuite } from "./suites/retries.ts";
import { schedulingSuite } from "./suites/scheduling.ts";
import { streamingSuite } from "./suites/streaming.ts";
import { unitsSuite } from "./suites/units.ts";

/**
 * The whole runtime-independent kernel suite. The Node project runs each part from the `*.test.ts` beside
 * its module; `kernel.workers.test.ts` runs all of it inside workerd.
 */
export function kernelSuite(): void {
  unitsSuite();
  errorsSuite();
  planSuite();
  schedulingSuite();
  streamingSuite();
  backpressureSuite();
  handOffSuite();
  eventsSuite();
  cancellationSuite();
  retriesSuite();
  durableSuite();
  journalSuite();
  ledgerSuite();
  kindsSuite();
  propertiesSuite();
}
