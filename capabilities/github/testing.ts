import { RateBudget } from "./budget/budget.ts";
import type { BudgetNamespace, BudgetStub } from "./budget/client.ts";

/**
 * Test support for the GitHub capability (web standards only, so Node and workerd tests share it): a local
 * stand-in for the GitHub REST API that records every call (and can enforce a rate limit), an in-memory KV
 * namespace, an in-memory budget namespace, and a PKCS#1 test key made at test time (no key is committed).
 */

export interface RecordedCall {
  method: string;
  /** Path and query, e.g. `/repos/o/r/issues?state=all`. */
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A route handler: gets the call and the path's `{params}`; returns a Response (or waits for the signal). */
export type Handler = (
  call: RecordedCall,
  params: Record<string, string>,
  request: Request,
) => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });

export { json as jsonResponse };

/** A rate limit the stand-in enforces, as GitHub does (`FakeGitHub.limitRate`). */
export interface StandInLimit {
  /** Calls per window and credentials (`authorization`), installation-token requests aside. */
  limit: number;
  /** The window, from its first call; its reset is reported (and applied) in whole seconds, as GitHub does. */
  windowMs: number;
  /** Windows on the multiples of `windowMs` of the clock instead of from their first call (a model can count them). */
  aligned?: boolean;
  /** Content-creating calls (POST, PATCH, PUT, DELETE) closer together than this are refused (secondary limit). */
  contentSpacingMs?: number;
}

const CONTENT = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * The stand-in: `fetch` is its entry point (inject it as the run's or node's `fetch`). Routes are
 * `METHOD /path/{param}`; an unknown route answers 404 like GitHub. `installationToken` answers
 * `POST /app/installations/{id}/access_tokens` with a fresh token valid `tokenTtlMs`.
 */
export class FakeGitHub {
  readonly base: string;
  readonly calls: RecordedCall[] = [];
  readonly routes: { method: string; pattern: RegExp; names: string[]; handler: Handler }[] = [];
  tokenTtlMs = 3_600_000;
  now: () => number = () => Date.now();
  issued = 0;
  /** Verifies the App JWT of token requests; a rejection answers 401. */
  verifyJwt: ((jwt: string) => Promise<boolean>) | undefined = undefined;
  /** Calls the rate limit refused (403 with `x-ratelimit-remaining: 0`, or a secondary limit's `retry-after`). */
  readonly refused: RecordedCall[] = [];
  /** When each content-creating call that was let through arrived (`now()`), in order. */
  readonly contentTimes: number[] = [];
  #limit: StandInLimit | undefined = undefined;
  readonly #windows = new Map<string, { used: number; resetAt: number }>();
  #lastContentAt: number | undefined = undefined;

  constructor(base = "https://api.github.test") {
    this.base = base;
    this.on("POST /app/installations/{id}/access_tokens", async (call) => {
      const jwt = call.headers.authorization?.replace(/^Bearer /, "") ?? "";
      if (this.verifyJwt && !(await this.verifyJwt(jwt)))
        return json(401, { message: "A JSON web token could not be decoded" });
      this.issued++;
      return json(201, {
        token: `ghs_test${this.issued}`,
        expires_at: new Date(this.now() + this.tokenTtlMs).toISOString(),
      });
    });
  }

  /** Adds (or replaces, when added later: the last match wins) a route. */
  on(route: string, handler: Handler): this {
    const [method, path] = route.split(" ") as [string, string];
    const names: string[] = [];
    const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([a-z_]+)\\?\}/gi, (_, name) => {
      names.push(name);
      return "([^/?]+)";
    });
    this.routes.unshift({ method, pattern: new RegExp(`^${source}(?:\\?.*)?$`), names, handler });
    return this;
  }

  /**
   * Enforces a rate limit from now on: every answer carries `x-ratelimit-limit/remaining/reset/used/resource`
   * (`core`); a call past the limit is refused with 403 and `x-ratelimit-remaining: 0`, a content-creating call too
   * soon after the last with 403 and `retry-after: 1`. Refused calls are in `refused`.
   */
  limitRate(limit: StandInLimit): this {
    this.#limit = limit;
    return this;
  }

  /** The calls as `METHOD path`, in order. */
  lines(options: { tokens?: boolean } = {}): string[] {
    return this.calls
      .filter((c) => options.tokens !== false || !c.path.endsWith("/access_tokens"))
      .map((c) => `${c.method} ${c.path}`);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (`${url.protocol}//${url.host}` !== this.base)
      throw new TypeError(`fetch to ${url.origin}: not the stand-in`);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const call: RecordedCall = {
      method: request.method,
      path: decodeURIComponent(url.pathname) + url.search,
      headers,
      body: text === "" ? undefined : JSON.parse(text),
    };
    this.calls.push(call);
    const limited = this.#rateLimit(call);
    if (limited instanceof Response) return limited;
    const response = await this.#route(request, url, call);
    if (!limited) return response;
    const merged = new Headers(response.headers);
    for (const [name, value] of Object.entries(limited)) merged.set(name, value);
    return new Response(response.body, { status: response.status, headers: merged });
  };

  /** Undefined without a limit or for a token request; the refusal; else the headers of an accepted call. */
  #rateLimit(call: RecordedCall): Response | Record<string, string> | undefined {
    const limit = this.#limit;
    if (!limit || call.path.endsWith("/access_tokens")) return undefined;
    const now = this.now();
    const key = call.headers.authorization ?? "";
    let window = this.#windows.get(key);
    if (!window || now >= window.resetAt) {
      const resetAt = limit.aligned
        ? (Math.floor(now / limit.windowMs) + 1) * limit.windowMs
        : Math.ceil((now + limit.windowMs) / 1_000) * 1_000;
      window = { used: 0, resetAt };
      this.#windows.set(key, window);
    }
    const headers = (used: number): Record<string, string> => ({
      "x-ratelimit-limit": String(limit.limit),
      "x-ratelimit-remaining": String(Math.max(0, limit.limit - used)),
      "x-ratelimit-reset": String(window.resetAt / 1_000),
      "x-ratelimit-used": String(used),
      "x-ratelimit-resource": "core",
    });
    if (window.used >= limit.limit) {
      this.refused.push(call);
      return json(
        403,
        { message: "API rate limit exceeded for installation." },
        { ...headers(window.used), "x-ratelimit-remaining": "0" },
      );
    }
    const content = CONTENT.has(call.method);
    const spacing = limit.contentSpacingMs;
    if (
      content &&
      spacing !== undefined &&
      this.#lastContentAt !== undefined &&
      now - this.#lastContentAt < spacing
    ) {
      this.refused.push(call);
      return json(
        403,
        { message: "You have exceeded a secondary rate limit." },
        { ...headers(window.used), "retry-after": "1" },
      );
    }
    window.used++;
    if (content) {
      this.#lastContentAt = now;
      this.contentTimes.push(now);
    }
    return headers(window.used);
  }

  async #route(request: Request, url: URL, call: RecordedCall): Promise<Response> {
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1]!);
      });
      return route.handler(call, params, request);
    }
    return json(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }
}

/**
 * An in-memory stand-in for the `GITHUB_BUDGET` namespace: one `RateBudget` per object name, on the given clock
 * (the test's), with every take and report counted. Arguments are copied, as RPC would.
 */
export class MemoryBudgets implements BudgetNamespace {
  readonly budgets = new Map<string, RateBudget>();
  takes = 0;
  reports = 0;
  readonly now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.now = now;
  }

  idFromName(name: string): DurableObjectId {
    return { name, toString: () => name, equals: (o: DurableObjectId) => o.name === name } as DurableObjectId;
  }

  get(id: DurableObjectId): BudgetStub {
    const name = id.name ?? id.toString();
    const budget = (): RateBudget => {
      let b = this.budgets.get(name);
      if (!b) {
        b = new RateBudget();
        this.budgets.set(name, b);
      }
      return b;
    };
    return {
      take: async (take) => {
        this.takes++;
        return budget().take(this.now(), structuredClone(take));
      },
      report: async (policy, reports) => {
        this.reports++;
        budget().report(this.now(), policy, structuredClone(reports));
      },
    };
  }
}

/** A response that never comes: settles only when the request's signal aborts (rejecting with its reason). */
export function hang(request: Request): Promise<Response> {
  return new Promise((_, reject) => {
    if (request.signal.aborted) reject(request.signal.reason);
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
}

/** An in-memory KV namespace (get/put/delete with `expirationTtl`) for Node tests. */
export class MemoryKv {
  readonly data = new Map<string, { value: string; expiresAt: number | undefined }>();
  now: () => number = () => Date.now();

  async get(key: string, type?: "text" | "json" | { type?: string }): Promise<unknown> {
    const entry = this.data.get(key);
    if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= this.now())) return null;
    const as = typeof type === "object" ? type.type : type;
    return as === "json" ? JSON.parse(entry.value) : entry.value;
  }

  async put(key: string, value: string, options: { expirationTtl?: number } = {}): Promise<void> {
    const ttl = options.expirationTtl;
    this.data.set(key, { value, expiresAt: ttl === undefined ? undefined : this.now() + ttl * 1_000 });
  }

  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derInteger(base64url: string): number[] {
  const binary = atob(
    base64url
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(base64url.length / 4) * 4, "="),
  );
  const bytes = [...binary].map((c) => c.charCodeAt(0));
  while (bytes.length > 1 && bytes[0] === 0) bytes.shift();
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return [0x02, ...derLength(bytes.length), ...bytes];
}

/**
 * A fresh RSA key pair: the private key as a PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), encoded here from the JWK
 * (RSAPrivateKey ::= SEQUENCE { 0, n, e, d, p, q, dp, dq, qi }), independently of the code under test, and the
 * public key for verifying signatures.
 */
export async function pkcs1KeyPair(): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const fields = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi] as string[];
  const body = [0x02, 0x01, 0x00, ...fields.flatMap(derInteger)];
  const der = new Uint8Array([0x30, ...derLength(body.length), ...body]);
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary)
    .match(/.{1,64}/g)!
    .join("\n");
  return {
    pem: `-----BEGIN RSA PRIVATE KEY-----\n${lines}\n-----END RSA PRIVATE KEY-----\n`,
    publicKey: pair.publicKey,
  };
}

/** Verifies an RS256 JWT with a public key; resolves to its payload, or null when the signature is wrong. */
export async function verifyJwt(jwt: string, publicKey: CryptoKey): Promise<Record<string, unknown> | null> {
  const [header, payload, signature] = jwt.split(".");
  if (!header || !payload || !signature) return null;
  const decode = (part: string) =>
    Uint8Array.from(
      atob(
        part
          .replace(/-/g, "+")
          .replace(/_/g, "/")
          .padEnd(Math.ceil(part.length / 4) * 4, "="),
      ),
      (c) => c.charCodeAt(0),
    );
  const ok = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    publicKey,
    decode(signature),
    new TextEncoder().encode(`${header}.${payload}`),
  );
  if (!ok) return null;
  const head = JSON.parse(new TextDecoder().decode(decode(header))) as { alg?: string };
  if (head.alg !== "RS256") return null;
  return JSON.parse(new TextDecoder().decode(decode(payload))) as Record<string, unknown>;
}
