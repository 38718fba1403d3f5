import { httpFetchSuite } from "./conformance.ts";

// `http.fetch` inside workerd: Workers' fetch, AbortSignal and streams (a mock fetch that honours the signal).
httpFetchSuite();
