import type { CommandIO } from "../commands/io.ts";
import { CliError } from "../run/errors.ts";

/** One request to a served Worker on behalf of a trigger, and how its answer is printed. */

/** What the Worker answered. */
export interface Answer {
  status: number;
  statusText: string;
  /** The run's id (`x-flow-run-id`), when it gave one. */
  runId: string | null;
  /** The body: its JSON, else its text (null when empty). */
  body: unknown;
}

/** Gives up on an answer after this long. */
const TIMEOUT_MS = 30_000;

/** Sends the request; no answer (refused, DNS, timeout) is CLI_TRIGGER_UNREACHABLE (exit 4). */
export async function deliver(
  url: string,
  init: RequestInit,
  fetcher: typeof fetch = fetch,
): Promise<Answer> {
  let response: Response;
  let text: string;
  try {
    response = await fetcher(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliError(
      "CLI_TRIGGER_UNREACHABLE",
      `no answer from ${url} (${cause}): is \`flows dev\` (or the Worker) serving there? Give its origin with --url`,
      { url },
    );
  }
  let body: unknown = text === "" ? null : text;
  try {
    if (text !== "") body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return {
    status: response.status,
    statusText: response.statusText,
    runId: response.headers.get("x-flow-run-id"),
    body,
  };
}

/**
 * The answer on stdout: `--json` one document (`what` and the answer), else a line `<status> <text>  run <id>` and
 * the body. An error answer also goes to stderr as its envelope's code and message.
 */
export function printAnswer(
  io: CommandIO,
  json: boolean,
  what: Record<string, string>,
  answer: Answer,
): void {
  if (json) {
    io.out(`${JSON.stringify({ ...what, ...answer })}\n`);
    return;
  }
  const run = answer.runId ? `  run ${answer.runId}` : "";
  const label = Object.entries(what)
    .map(([key, value]) => `${key} ${value}`)
    .join("  ");
  io.out(`${label}\n${answer.status} ${answer.statusText}${run}\n`);
  if (answer.body !== null)
    io.out(`${typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body, null, 2)}\n`);
  const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
  if (answer.status >= 400 && error?.code)
    io.err(`flows: the Worker answered ${error.code}: ${error.message}\n`);
}
