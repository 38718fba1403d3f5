import { cancellationSuite } from "./testing/suites/cancellation.ts";

cancellationSuite();
