import { isJsonMediaType } from "../../flows/units/media-type.ts";
import {
  createRegistry,
  FlowError,
  type KindRegistry,
  type NodeContext,
  type NodeKind,
  NonRetriableError,
  RetryAfterError,
} from "../../kernel/index.ts";
import { HTTP_KIND_SPECS, KIND_HTTP_FETCH } from "./declaration.ts";

/**
 * `http.fetch`: calls an HTTP endpoint with the node's signal, so a timeout or cancel aborts the request
 * itself (and the reading of its body). Inputs `url`, `method` (GET, or POST when there is a body),
 * `headers`, `body` (an object or list is sent as JSON). Outputs `status`, `headers`, `body`.
 *
 * - `config.responseType`: `json`, `text`, `bytes` (Uint8Array), `stream` (forwarded chunk by chunk), or by
 *   default whichever the content type says (JSON for `application/json` and `+json`, else text).
 * - `config.failOnError` (default true): a non-2xx status fails with HTTP_FETCH_FAILED, retriable for 408,
 *   429 and 5xx (after `Retry-After` when the server sends one). Network errors are retriable too.
 * - With an idempotency key, the request carries it as `Idempotency-Key`.
 *
 * Messages and details name the URL without its query string (which may hold credentials).
 */
export const httpFetchKind: NodeKind = {
  spec: HTTP_KIND_SPECS[KIND_HTTP_FETCH]!,
  run: async (ctx) => {
    const url = parseUrl(ctx);
    const where = `${url.origin}${url.pathname}`;
    const init = requestInit(ctx);
    let response: Response;
    try {
      response = await ctx.fetch(url.href, init);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw new FlowError("HTTP_FETCH_FAILED", `http.fetch ${init.method} ${where} failed: no response`, {
        retriable: true,
        cause: error,
        details: { url: where, method: init.method },
      });
    }
    if (ctx.config.failOnError !== false && !response.ok)
      await failOnStatus(ctx, response, init.method!, where);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body: await readBody(ctx, response, where) };
  },
};

function parseUrl(ctx: NodeContext): URL {
  const raw = ctx.inputs.url;
  let url: URL | undefined;
  try {
    url = typeof raw === "string" ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new NonRetriableError(`node \`${ctx.nodeId}\`: input \`url\` must be an absolute http(s) URL`, {
      code: "NODE_INPUT_INVALID",
      expose: true,
      details: { nodeId: ctx.nodeId, input: "url" },
    });
  }
  return url;
}

function requestInit(ctx: NodeContext): RequestInit {
  const { body, headers: headerInput, method } = ctx.inputs;
  const headers = new Headers();
  if (headerInput && typeof headerInput === "object") {
    for (const [name, value] of Object.entries(headerInput)) headers.set(name, String(value));
  }
  let payload: BodyInit | undefined;
  const raw = typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream;
  if (raw) payload = body as BodyInit;
  else if (body !== undefined && body !== null) {
    payload = JSON.stringify(body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  if (ctx.idempotencyKey !== undefined && !headers.has("idempotency-key")) {
    headers.set("idempotency-key", ctx.idempotencyKey);
  }
  const verb = typeof method === "string" ? method.toUpperCase() : payload === undefined ? "GET" : "POST";
  return { method: verb, headers, body: payload ?? null, signal: ctx.signal };
}

async function failOnStatus(
  ctx: NodeContext,
  response: Response,
  method: string,
  where: string,
): Promise<never> {
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  const retriable = status === 408 || status === 429 || status >= 500;
  const message = `http.fetch ${method} ${where} answered ${status}`;
  const details = { url: where, method, status };
  const retryAfter = retriable
    ? retryAfterMs(response.headers.get("retry-after"), ctx.clock.now())
    : undefined;
  if (retryAfter !== undefined) {
    throw new RetryAfterError(retryAfter, message, {
      code: "HTTP_FETCH_FAILED",
      status: 502,
      expose: true,
      details,
    });
  }
  throw new FlowError("HTTP_FETCH_FAILED", message, { retriable, details });
}

/** `Retry-After` as seconds or an HTTP date, in ms from now. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1_000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readBody(ctx: NodeContext, response: Response, where: string): Promise<unknown> {
  const type = ctx.config.responseType as string | undefined;
  if (type === "stream") return response.body ?? emptyStream();
  if (type === "bytes") return new Uint8Array(await response.arrayBuffer());
  const json =
    type === "json" || (type === undefined && isJsonMediaType(response.headers.get("content-type")));
  const text = await response.text();
  if (!json) return text;
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NonRetriableError(`http.fetch ${where}: the response body is not valid JSON`, {
      code: "HTTP_FETCH_FAILED",
      status: 502,
      expose: true,
      cause: error,
      details: { url: where, status: response.status },
    });
  }
}

const emptyStream = (): ReadableStream<Uint8Array> =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.close();
    },
  });

/** The HTTP capability's kinds. */
export const HTTP_KINDS: KindRegistry = createRegistry(httpFetchKind);
