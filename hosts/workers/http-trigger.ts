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
 * request): each is an own enumerable property that replaces itself with its value on first read, so the event
 * looks like, serialises like and compares like a plain object.
 */
export function httpTriggerEvent(
  request: Request,
  triggerId: string,
  params: Record<string, string>,
  body: RequestBody,
): HttpTriggerEvent {
  const event = {
    type: "http",
    id: triggerId,
    method: request.method,
    params,
    body: body.value,
    bodyType: body.type,
  } as HttpTriggerEvent;
  let url: URL | undefined;
  const parsedUrl = (): URL => {
    url ??= new URL(request.url);
    return url;
  };
  let queries: { query: Record<string, string>; queryAll: Record<string, string[]> } | undefined;
  const parsedQuery = () => {
    queries ??= queryOf(parsedUrl());
    return queries;
  };
  lazy(event, "path", () => parsedUrl().pathname);
  lazy(event, "query", () => parsedQuery().query);
  lazy(event, "queryAll", () => parsedQuery().queryAll);
  lazy(event, "headers", () => headersOf(request.headers));
  return event;
}

/** Defines `key` on `target` as computed by `read` on first access (then a plain data property). */
function lazy<T extends object>(target: T, key: keyof T & string, read: () => unknown): void {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = read();
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set(value: unknown) {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    },
  });
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
