import type { RequestBody } from "./body.ts";

/** What a flow started by an HTTP request sees as `trigger`. */
export interface HttpTriggerEvent {
  type: "http";
  id: string;
  method: string;
  path: string;
  /** Route parameters (`/echo/:name` → `{ name }`). */
  params: Record<string, string>;
  /** Query parameters; a repeated one keeps its last value (all values are in `queryAll`). */
  query: Record<string, string>;
  queryAll: Record<string, string[]>;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  body: unknown;
  bodyType: RequestBody["type"];
}

/**
 * The trigger of a request. The headers are copied when a flow first reads them (most flows read one or two, or
 * none; copying every header cost workerd about 25 µs per request with the URL parse): `headers` is an own
 * enumerable accessor of an object literal that copies them on first read and keeps the copy (an assignment
 * replaces it), so the event looks like, serialises like, clones like and compares like a plain object. The path
 * is cut from the URL text (no URL parse) and the query parsed only when there is one; accessors for those too
 * cost more in closures (eight of them, per request) than they saved.
 */
export function httpTriggerEvent(
  request: Request,
  triggerId: string,
  params: Record<string, string>,
  body: RequestBody,
): HttpTriggerEvent {
  const url = request.url;
  const { path, search } = splitUrl(url);
  const { query, queryAll } = search ? queryOf(new URL(url)) : { query: {}, queryAll: {} };
  let headers: Record<string, string> | undefined;
  return {
    type: "http",
    id: triggerId,
    method: request.method,
    path,
    params,
    query,
    queryAll,
    get headers(): Record<string, string> {
      headers ??= headersOf(request.headers);
      return headers;
    },
    set headers(value: Record<string, string>) {
      headers = value;
    },
    body: body.value,
    bodyType: body.type,
  };
}

/**
 * The path (as `URL.pathname` has it: still percent-encoded) and whether there is a query, from an absolute URL's
 * text: `http://h/a/b?x=1` → `/a/b`, a query; `http://h` → `/`.
 */
export function splitUrl(url: string): { path: string; search: boolean } {
  const authority = url.indexOf("//");
  // A fragment ends the URL's other parts: a `?` inside it is the fragment's, not a query.
  const hash = url.indexOf("#");
  const stop = hash < 0 ? url.length : hash;
  const slash = url.indexOf("/", authority < 0 ? 0 : authority + 2);
  const found = url.indexOf("?", Math.max(slash, 0));
  const question = found >= 0 && found < stop ? found : -1;
  const end = question >= 0 ? question : stop;
  const path = slash < 0 || slash > end ? "/" : url.slice(slash, end);
  return { path, search: question >= 0 && question < stop - 1 };
}

function queryOf(url: URL): { query: Record<string, string>; queryAll: Record<string, string[]> } {
  const query: Record<string, string> = {};
  const queryAll: Record<string, string[]> = {};
  if (url.search === "") return { query, queryAll };
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    const values = queryAll[key] ?? [];
    values.push(value);
    queryAll[key] = values;
  }
  return { query, queryAll };
}

function headersOf(source: Headers): Record<string, string> {
  const headers: Record<string, string> = {};
  source.forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}
