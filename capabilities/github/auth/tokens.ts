import type { NodeContext } from "../../../kernel/index.ts";
import { capabilityError } from "../../codes.ts";
import { describe, inputError } from "../../inputs.ts";
import { type Credentials, send } from "../rest/client.ts";
import { type GitHubSettings, sha256Hex } from "../rest/settings.ts";
import { appJwt } from "./jwt.ts";

/**
 * How a `github.*` node authenticates. `config.auth`:
 * - `app`: a GitHub App. The App id and PEM private key come from bindings (`GITHUB_APP_ID`,
 *   `GITHUB_PRIVATE_KEY` by default; secrets), the installation from input `installationId` (an app flow passes
 *   `trigger.installationId`). An RS256 JWT buys an installation access token
 *   (`POST /app/installations/{id}/access_tokens`, valid 1 h), cached in KV until `tokenMargin` before it expires.
 * - `token`: a personal access token from the `GITHUB_TOKEN` secret.
 * - `auto` (default): `app` when input `installationId` is given, else `token`.
 * No secret ever reaches an error, a log line or an output.
 */

interface CachedToken {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Per-isolate fallback when the flow has no cache KV namespace (tokens are then fetched once per isolate). */
const memoryTokens = new Map<string, CachedToken>();

/** Token requests in flight, by run id and cache key. */
const inflight = new Map<string, Promise<CachedToken>>();

function secret(ctx: NodeContext, name: string, what: string): string {
  const value = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  throw capabilityError(
    "BINDING_MISSING",
    `binding \`${name}\` (${what}) is missing from env: set it with \`wrangler secret put ${name}\` (\`.dev.vars\` locally)`,
    { details: { binding: name, section: "secrets", nodeId: ctx.nodeId } },
  );
}

/** Input `installationId` as a decimal string, or undefined when absent. */
export function installationIdOf(ctx: NodeContext): string | undefined {
  const raw = ctx.inputs.installationId;
  if (raw === undefined || raw === null || raw === "") return undefined;
  const text =
    (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) || typeof raw === "bigint"
      ? String(raw)
      : raw;
  if (typeof text !== "string" || !/^[1-9][0-9]{0,19}$/.test(text))
    throw inputError(ctx, "installationId", `must be a positive whole number, got ${describe(raw)}`);
  return text;
}

/** The node's credentials, per `config.auth`. */
export async function credentials(ctx: NodeContext, settings: GitHubSettings): Promise<Credentials> {
  const installationId = installationIdOf(ctx);
  const mode = ctx.config.auth ?? "auto";
  if (mode === "token" || (mode === "auto" && installationId === undefined)) {
    const token = secret(ctx, settings.tokenBinding, "a GitHub token");
    return { authorization: `token ${token}`, identity: `token:${await sha256Hex(token)}` };
  }
  if (installationId === undefined)
    throw inputError(ctx, "installationId", "must be given in app auth (pass trigger.installationId)");
  return installationCredentials(ctx, settings, installationId);
}

async function installationCredentials(
  ctx: NodeContext,
  settings: GitHubSettings,
  installationId: string,
): Promise<Credentials> {
  const appId = secret(ctx, settings.appIdBinding, "the GitHub App id");
  const key = `github/token/${await sha256Hex(`${settings.baseUrl}\n${appId}\n${installationId}`)}`;
  const identity = `app:${appId}:${installationId}`;
  const make = (token: string): Credentials => ({
    authorization: `token ${token}`,
    identity,
    renew: async () => {
      await forget(settings, key);
      return make((await fetchToken(ctx, settings, appId, installationId, key)).token);
    },
  });
  const cached = await cachedToken(ctx, settings, key);
  if (cached) return make(cached.token);
  // Nodes of one run that miss the cache together (the apps one delivery is routed to, as subflows of one run)
  // share one request. Keyed by run too, so a promise never crosses two requests (workerd forbids that).
  const flight = `${ctx.runId}\n${key}`;
  const shared = inflight.get(flight);
  if (shared) {
    try {
      return make((await shared).token);
    } catch (error) {
      // The node that sent it may have been aborted; this one was not: ask for itself.
      if (ctx.signal.aborted) throw error;
    }
  }
  const pending = fetchToken(ctx, settings, appId, installationId, key).finally(() =>
    inflight.delete(flight),
  );
  if (!shared) inflight.set(flight, pending);
  return make((await pending).token);
}

async function cachedToken(
  ctx: NodeContext,
  settings: GitHubSettings,
  key: string,
): Promise<CachedToken | undefined> {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const entry = settings.cache
    ? await settings.cache.get<CachedToken>(key, "json").catch(() => null)
    : memoryTokens.get(key);
  if (!entry || typeof entry.token !== "string" || typeof entry.expiresAt !== "number") return undefined;
  return entry.expiresAt - settings.tokenMarginMs > ctx.clock.now() ? entry : undefined;
}

async function forget(settings: GitHubSettings, key: string): Promise<void> {
  memoryTokens.delete(key);
  await settings.cache?.delete(key).catch(() => {});
}

async function fetchToken(
  ctx: NodeContext,
  settings: GitHubSettings,
  appId: string,
  installationId: string,
  key: string,
): Promise<CachedToken> {
  const privateKey = secret(ctx, settings.privateKeyBinding, "the GitHub App private key");
  let jwt: string;
  try {
    jwt = (await appJwt(appId, privateKey, Math.floor(ctx.clock.now() / 1_000))).token;
  } catch (error) {
    // The library's and WebCrypto's messages never hold the key; keep only their text.
    throw capabilityError(
      "GITHUB_AUTH_FAILED",
      `the private key in \`${settings.privateKeyBinding}\` could not sign a JWT: ${error instanceof Error ? error.message : "unreadable key"}`,
      { details: { binding: settings.privateKeyBinding } },
    );
  }
  const route = "/app/installations/{installation_id}/access_tokens";
  let response: Response;
  try {
    response = await send(
      ctx,
      settings,
      { authorization: `Bearer ${jwt}`, identity: `app:${appId}` },
      {
        method: "POST",
        route,
        url: `${settings.baseUrl}/app/installations/${installationId}/access_tokens`,
        // Creating a token has no effect beyond the token: safe to send again after a 5xx.
        idempotent: true,
        // Counted against the App (JWT), not the installation, and made once an hour per installation.
        budget: false,
      },
    );
  } catch (error) {
    throw tokenRequestFailed(error, installationId, appId);
  }
  let data: { token?: unknown; expires_at?: unknown };
  try {
    data = (await response.json()) as typeof data;
  } catch {
    data = {};
  }
  const expiresAt = typeof data.expires_at === "string" ? Date.parse(data.expires_at) : Number.NaN;
  if (typeof data.token !== "string" || !Number.isFinite(expiresAt)) {
    throw capabilityError(
      "GITHUB_AUTH_FAILED",
      "GitHub's installation token response has no token or expiry",
      {
        retriable: true,
        details: { installationId },
      },
    );
  }
  const entry: CachedToken = { token: data.token, expiresAt };
  const keepMs = expiresAt - settings.tokenMarginMs - ctx.clock.now();
  if (settings.cache) {
    // KV expiries are at least 60 s away; a token that short-lived is simply not cached.
    if (keepMs >= 60_000) {
      await settings.cache
        .put(key, JSON.stringify(entry), { expirationTtl: Math.floor(keepMs / 1_000) })
        .catch((e: unknown) =>
          ctx.log("warn", "could not cache a GitHub installation token", { error: String(e) }),
        );
    }
  } else if (keepMs > 0) memoryTokens.set(key, entry);
  return entry;
}

/**
 * What a failed installation-token request means: GitHub refused it (an answered 4xx: GITHUB_AUTH_FAILED, not
 * retriable), GitHub failed (5xx) or could not be reached (no response): GITHUB_REQUEST_FAILED, retriable, saying
 * which. A rate limit (GITHUB_RATE_LIMITED) passes through with its delay.
 */
function tokenRequestFailed(error: unknown, installationId: number | string, appId: string): unknown {
  const flow = error as { code?: string; details?: Record<string, unknown> };
  if (flow.code !== "GITHUB_REQUEST_FAILED" && flow.code !== "GITHUB_AUTH_FAILED") return error;
  const status = flow.details?.status;
  const details = { ...flow.details, installationId };
  const what = `an installation token for installation ${installationId} of App ${appId}`;
  if (typeof status !== "number") {
    return capabilityError("GITHUB_REQUEST_FAILED", `GitHub could not be reached for ${what}: no response`, {
      cause: error,
      retriable: true,
      details,
    });
  }
  if (status >= 500) {
    return capabilityError("GITHUB_REQUEST_FAILED", `GitHub answered ${status} to a request for ${what}`, {
      cause: error,
      retriable: true,
      details,
    });
  }
  return capabilityError("GITHUB_AUTH_FAILED", `GitHub refused ${what}`, {
    cause: error,
    retriable: false,
    details,
  });
}
