import { CliError } from "../run/errors.ts";

/**
 * The run API of a served Worker (`GET /_flows/runs…`, see impl-docs/runs.md), from the command line: one `fetch`
 * with the bearer token, and every failure as a coded CliError (the Worker's own envelope kept in `details`).
 */

export interface RunsApi {
  /** The Worker's origin, e.g. `http://127.0.0.1:8787` (a path prefix is kept). */
  url: string;
  token: string;
  /** `fetch`, injectable for tests. */
  fetch?: typeof fetch;
  /** Gives up after this long (default 15 s). */
  timeoutMs?: number;
}

/** The token: `--token`, else `FLOWS_ADMIN_TOKEN` of the environment; a usage error without either. */
export function tokenFrom(option: string | undefined, environment: NodeJS.ProcessEnv): string {
  const token = option ?? environment.FLOWS_ADMIN_TOKEN;
  if (token) return token;
  throw new CliError(
    "CLI_TOKEN_MISSING",
    "the run API needs the Worker's FLOWS_ADMIN_TOKEN: pass --token <token> or set FLOWS_ADMIN_TOKEN (under `flows dev`, the token of the viewer URL it prints)",
  );
}

/** `url` checked and without its trailing slash; a usage error for anything but an http(s) URL. */
export function baseUrl(url: string | undefined): string {
  let parsed: URL | undefined;
  try {
    parsed = url ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    throw new CliError(
      "CLI_OPTION_INVALID",
      `--url ${url === undefined ? "is required" : `is not an http(s) URL: ${JSON.stringify(url)}`}: give the Worker's origin, e.g. --url http://127.0.0.1:8787`,
    );
  return parsed.href.replace(/\/+$/, "");
}

type Envelope = { error: { code: string; message: string } };
const isEnvelope = (value: unknown): value is Envelope =>
  typeof (value as Envelope | null)?.error?.code === "string";

/**
 * GETs `path` (below `/_flows/runs`) and returns its JSON. An error answer is CLI_RUNS_REFUSED (exit 3) with the
 * Worker's status and envelope; no answer, or one that is not JSON, is CLI_RUNS_UNREACHABLE (exit 4).
 */
export function getRuns<T>(api: RunsApi, path: string, signal?: AbortSignal): Promise<T> {
  return callRuns<T>(api, "GET", path, signal);
}

/** `method` on `path` (below `/_flows/runs`), as `getRuns` (`POST` for cancel and rerun). */
export async function callRuns<T>(
  api: RunsApi,
  method: "GET" | "POST",
  path: string,
  signal?: AbortSignal,
): Promise<T> {
  const url = `${api.url}/_flows/runs${path}`;
  const timeout = AbortSignal.timeout(api.timeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await (api.fetch ?? fetch)(url, {
      method,
      headers: { authorization: `Bearer ${api.token}`, accept: "application/json" },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new CliError("CLI_RUNS_UNREACHABLE", `no answer from ${api.url} (${cause})`, {
      url: api.url,
      cause,
    });
  }
  return answerOf<T>(api, response);
}

/** The JSON of an answer of the run API, or the coded CliError for an error answer or one that is not JSON. */
export async function answerOf<T>(api: RunsApi, response: Response): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new CliError(
      "CLI_RUNS_UNREACHABLE",
      `${api.url} answered ${response.status} without JSON: is it a flows Worker?`,
      { url: api.url, status: response.status },
    );
  }
  if (response.ok) return body as T;
  if (!isEnvelope(body))
    throw new CliError("CLI_RUNS_UNREACHABLE", `${api.url} answered ${response.status}, not the run API`, {
      url: api.url,
      status: response.status,
    });
  const hint =
    body.error.code === "ROUTE_NOT_FOUND"
      ? " (the run API exists only when the Worker has the FLOWS_ADMIN_TOKEN secret)"
      : "";
  throw new CliError(
    "CLI_RUNS_REFUSED",
    `${response.status} ${body.error.code}: ${body.error.message}${hint}`,
    { status: response.status, error: body.error },
  );
}
