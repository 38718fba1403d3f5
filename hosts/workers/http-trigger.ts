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
 * The trigger of a request. The path, query and headers are read from the request when a flow first reads them
 * (most flows read one or two of them; copying every header and parsing the URL cost workerd about 25 µs per
 * request): each is an own enumerable accessor of an object literal that computes its value on first read and
 * keeps it (an assignment replaces it), so the event looks like, serialises like, clones like and compares like a
 * plain object. Accessors written in the literal cost nothing per request beyond the object itself: defining them
 * with `Object.defineProperty`, and turning them into data properties on first read, cost more than the copy.
 */
export function httpTriggerEvent(
  request: Request,
  triggerId: string,
  params: Record<string, string>,
  body: RequestBody,
): HttpTriggerEvent {
  let url: URL | undefined;
  let queries: { query: Record<string, string>; queryAll: Record<string, string[]> } | undefined;
  let path: string | undefined;
  let query: Record<string, string> | undefined;
  let queryAll: Record<string, string[]> | undefined;
  let headers: Record<string, string> | undefined;
  const parsedQuery = () => {
    url ??= new URL(request.url);
    queries ??= queryOf(url);
    return queries;
  };
  return {
    type: "http",
    id: triggerId,
    method: request.method,
    get path(): string {
      if (path === undefined) {
        url ??= new URL(request.url);
        path = url.pathname;
      }
      return path;
    },
    set path(value: string) {
      path = value;
    },
    params,
    get query(): Record<string, string> {
      query ??= parsedQuery().query;
      return query;
    },
    set query(value: Record<string, string>) {
      query = value;
    },
    get queryAll(): Record<string, string[]> {
      queryAll ??= parsedQuery().queryAll;
      return queryAll;
    },
    set queryAll(value: Record<string, string[]>) {
      queryAll = value;
    },
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
