import type { FlowError } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";

/** The secret binding that holds the run viewer's bearer token. */
export const ADMIN_TOKEN_BINDING = "FLOWS_ADMIN_TOKEN";
/** A shorter secret is refused (the viewer stays closed): a token is for a password manager, not for typing. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** `WWW-Authenticate` of a 401 from the viewer. */
export const VIEWER_CHALLENGE = 'Bearer realm="flows viewer"';

/** The viewer's token from `env`, or the error that keeps the viewer closed when it is missing or too short. */
export function adminToken(env: object): string | FlowError {
  const value = (env as Record<string, unknown>)[ADMIN_TOKEN_BINDING];
  if (typeof value === "string" && value.length >= MIN_ADMIN_TOKEN_LENGTH) return value;
  return hostError(
    "VIEWER_NOT_CONFIGURED",
    `the run viewer is on but the ${ADMIN_TOKEN_BINDING} secret is ${typeof value === "string" ? `shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters` : "not set"}: set it with \`wrangler secret put ${ADMIN_TOKEN_BINDING}\` (locally in .dev.vars)`,
  );
}

const digest = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

/**
 * Whether two strings are equal, in time that depends on neither: both are hashed (SHA-256, so the lengths do not
 * show either), then every byte of the digests is compared.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}

/**
 * Checks a request to the viewer's API: `Authorization: Bearer <FLOWS_ADMIN_TOKEN>`. Undefined when it may pass;
 * otherwise the error to answer (`VIEWER_NOT_CONFIGURED` 503 without the secret, `VIEWER_UNAUTHORIZED` 401).
 */
export async function checkViewerRequest(request: Request, env: object): Promise<FlowError | undefined> {
  const token = adminToken(env);
  if (typeof token !== "string") return token;
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "");
  if (!match?.[1])
    return hostError(
      "VIEWER_UNAUTHORIZED",
      `the run viewer needs the header \`Authorization: Bearer <${ADMIN_TOKEN_BINDING}>\``,
    );
  if (!(await constantTimeEqual(match[1], token)))
    return hostError("VIEWER_UNAUTHORIZED", `the bearer token is not the viewer's ${ADMIN_TOKEN_BINDING}`);
  return undefined;
}
