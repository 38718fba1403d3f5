import type { KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { defineCapability } from "../define.ts";

/**
 * HTTP: the pure half. `http.fetch` calls any HTTP endpoint; it needs no binding (the Worker's `fetch`), so the
 * capability adds nothing to the wrangler configuration.
 */

export const KIND_HTTP_FETCH = "http.fetch";

const httpFetch: NodeKindSpec = {
  kind: KIND_HTTP_FETCH,
  description:
    "Calls an HTTP endpoint with the node's signal. Outputs `status`, `headers` and `body` (parsed per `config.responseType`, by default per the content type). With `failOnError` (default true) a non-2xx status fails the node.",
  effect: "external",
  determinism: "nondeterministic",
  inputs: { url: { required: true }, method: {}, headers: {}, body: {} },
  outputs: {
    status: {},
    headers: {},
    body: { bytes: true, streamWhen: { field: "responseType", values: ["stream"], byDefault: false } },
  },
  target: "inputs.url",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      responseType: { enum: ["json", "text", "stream", "bytes"] },
      /** Fail (retryably for 5xx and 429) unless the status is 2xx. */
      failOnError: { type: "boolean" },
    },
  },
  defaultTimeout: "10s",
};

/** The HTTP kinds' specs, keyed by kind name. */
export const HTTP_KIND_SPECS: KindCatalog = Object.freeze({ [KIND_HTTP_FETCH]: Object.freeze(httpFetch) });

/** The HTTP capability's declaration: no binding, no wrangler configuration. */
export const HTTP_DECLARATION = defineCapability({
  name: "http",
  runtime: { module: "flows-runtime/capabilities/http/kinds", export: "HTTP_KINDS" },
  kinds: HTTP_KIND_SPECS,
  wrangler: () => ({}),
});
