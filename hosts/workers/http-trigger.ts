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

export function httpTriggerEvent(
  request: Request,
  triggerId: string,
  params: Record<string, string>,
  body: RequestBody,
): HttpTriggerEvent {
  const url = new URL(request.url);
  const query: Record<string, string> = {};
  const queryAll: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    const values = queryAll[key] ?? [];
    values.push(value);
    queryAll[key] = values;
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return {
    type: "http",
    id: triggerId,
    method: request.method,
    path: url.pathname,
    params,
    query,
    queryAll,
    headers,
    body: body.value,
    bodyType: body.type,
  };
}
