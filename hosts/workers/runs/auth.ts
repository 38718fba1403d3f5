import { hostError } from "../codes.ts";
import { errorResponse } from "../responses.ts";
import { ADMIN_TOKEN_BINDING, constantTimeEqual, MIN_ADMIN_TOKEN_LENGTH } from "../viewer/auth.ts";

/** `WWW-Authenticate` of a 401 from the run API. */
export const RUNS_CHALLENGE = 'Bearer realm="flows runs"';

/**
 * Who may start or read runs through the run API (and `flows dev`'s queue sender): undefined when the request may
 * pass, else the answer (with `runId` in its envelope). Without the `FLOWS_ADMIN_TOKEN` secret the API does not
 * exist (404, as any unknown path); a token too short keeps it closed (503).
 */
export async function runsRefusal(
  request: Request,
  env: unknown,
  runId: string,
): Promise<Response | undefined> {
  const token = (env as Record<string, unknown> | undefined)?.[ADMIN_TOKEN_BINDING];
  if (typeof token !== "string" || token === "") {
    const path = new URL(request.url).pathname;
    return errorResponse(
      hostError("ROUTE_NOT_FOUND", `no flow is served at ${request.method} ${path}`),
      runId,
    );
  }
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    return errorResponse(
      hostError(
        "RUNS_NOT_CONFIGURED",
        `the ${ADMIN_TOKEN_BINDING} secret is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: set a longer one with \`wrangler secret put ${ADMIN_TOKEN_BINDING}\` (locally in .dev.vars)`,
      ),
      runId,
    );
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "");
  if (!match?.[1])
    return errorResponse(
      hostError(
        "RUNS_UNAUTHORIZED",
        `the run API needs the header \`Authorization: Bearer <${ADMIN_TOKEN_BINDING}>\``,
      ),
      runId,
      { "www-authenticate": RUNS_CHALLENGE },
    );
  if (!(await constantTimeEqual(match[1], token)))
    return errorResponse(
      hostError("RUNS_FORBIDDEN", `the bearer token is not the Worker's ${ADMIN_TOKEN_BINDING}`),
      runId,
    );
  return undefined;
}
