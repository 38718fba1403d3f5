/** The JSON media type test, for request bodies, webhook deliveries and responses of HTTP and Durable Object calls. */

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/;

/**
 * True for `application/json` and the `+json` types (`application/vnd.github+json`), whatever the case and the
 * parameters (`; charset=utf-8`).
 * @example isJsonMediaType("Application/JSON; charset=utf-8") // true
 */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  // The common case, without splitting or a regex.
  if (contentType === "application/json") return true;
  return JSON_TYPE.test((contentType ?? "").split(";")[0]!.trim().toLowerCase());
}
