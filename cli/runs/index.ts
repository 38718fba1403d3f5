import type { DurableRunView } from "../../hosts/workers/durable/api.ts";
import type { IndexEntry, RunRecord } from "../../hosts/workers/runs/record.ts";
import type { RunsPage } from "../../hosts/workers/runs/store.ts";
import { colorsFor } from "../color.ts";
import type { CommandIO } from "../commands/io.ts";
import { CliError, EXIT } from "../run/errors.ts";
import { baseUrl, callRuns, getRuns, type RunsApi, tokenFrom } from "./client.ts";
import { formatDurable, formatList, formatRecord } from "./format.ts";
import { type TailFrame, tailRun } from "./tail.ts";

/**
 * `flows runs list|show|tail|cancel|rerun`: the run API of a served Worker from the command line.
 */

export interface RunsCommandOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface ListOptions extends RunsCommandOptions {
  flow?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

/** What the commands need of the process: its environment (for FLOWS_ADMIN_TOKEN) and `fetch`. */
export interface RunsProcess {
  environment: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

function apiOf(options: RunsCommandOptions, proc: RunsProcess): RunsApi {
  const api: RunsApi = { url: baseUrl(options.url), token: tokenFrom(options.token, proc.environment) };
  if (proc.fetch) api.fetch = proc.fetch;
  return api;
}

/** `flows runs list --flow <id>`: a page of the flow's runs, newest first. */
export async function listRuns(options: ListOptions, io: CommandIO, proc: RunsProcess): Promise<number> {
  if (!options.flow)
    throw new CliError("CLI_OPTION_INVALID", "--flow <id> is required: the flow whose runs to list");
  const api = apiOf(options, proc);
  const query = new URLSearchParams({ flow: options.flow });
  if (options.status !== undefined) query.set("status", options.status);
  if (options.limit !== undefined) query.set("limit", options.limit);
  if (options.cursor !== undefined) query.set("cursor", options.cursor);
  const page = await getRuns<RunsPage>(api, `?${query}`, io.closed);
  if (options.json) io.out(`${JSON.stringify(page)}\n`);
  else
    io.out(
      formatList(
        options.flow,
        page as RunsPage & { runs: IndexEntry[] },
        colorsFor(io.stdout, proc.environment),
      ),
    );
  return 0;
}

/** `flows runs show <runId>`: the run's record. */
export async function showRun(
  runId: string,
  options: RunsCommandOptions,
  io: CommandIO,
  proc: RunsProcess,
): Promise<number> {
  const api = apiOf(options, proc);
  const record = await getRuns<RunRecord | DurableRunView>(api, `/${encodeURIComponent(runId)}`, io.closed);
  const colors = colorsFor(io.stdout, proc.environment);
  if (options.json) io.out(`${JSON.stringify(record)}\n`);
  else if ("instanceStatus" in record) io.out(formatDurable(record, colors));
  else io.out(formatRecord(record, colors));
  return 0;
}

export interface TailCommandOptions extends RunsCommandOptions {
  after?: string;
}

/** One frame as a line: its number, its type, and its data (cut to the terminal's taste at 200 characters). */
function frameLine(frame: TailFrame): string {
  const n = frame.id.includes(":") ? frame.id.slice(frame.id.lastIndexOf(":") + 1) : frame.id;
  const data = frame.data.length > 200 ? `${frame.data.slice(0, 199)}…` : frame.data;
  return `${n.padStart(4)} ${frame.event.padEnd(11)} ${data}\n`;
}

/**
 * `flows runs tail <runId>`: the run's events as they come (the stored ones first), resuming by itself when the
 * connection drops. Exit 0 when the run ended `ok` (its `end` frame), 3 when it ended otherwise (`error` frame).
 */
export async function tailCommand(
  runId: string,
  options: TailCommandOptions,
  io: CommandIO,
  proc: RunsProcess & { sleep?: (ms: number) => Promise<void> },
): Promise<number> {
  const api = apiOf(options, proc);
  const result = await tailRun(
    api,
    runId,
    (frame) => {
      if (options.json) {
        let data: unknown = frame.data;
        try {
          data = JSON.parse(frame.data);
        } catch {
          // Not JSON: kept as text.
        }
        io.out(`${JSON.stringify({ id: frame.id, event: frame.event, data })}\n`);
      } else io.out(frameLine(frame));
    },
    {
      ...(options.after === undefined ? {} : { after: options.after }),
      ...(io.closed ? { signal: io.closed } : {}),
      ...(proc.sleep ? { sleep: proc.sleep } : {}),
      onReconnect: (after) => io.err(`connection lost; resuming after ${after ?? "the start"}\n`),
    },
  );
  return result.final?.event === "error" ? EXIT.runFailed : EXIT.ok;
}

/** `flows runs cancel <runId>`: cancels a continuing run; answers once it has ended. */
export async function cancelCommand(
  runId: string,
  options: RunsCommandOptions,
  io: CommandIO,
  proc: RunsProcess,
): Promise<number> {
  const answer = await callRuns<{ runId: string; status: string }>(
    apiOf(options, proc),
    "POST",
    `/${encodeURIComponent(runId)}/cancel`,
    io.closed,
  );
  io.out(options.json ? `${JSON.stringify(answer)}\n` : `${answer.runId} ${answer.status}\n`);
  return EXIT.ok;
}

/** `flows runs rerun <runId>`: the same flow version and input again, as a new run. */
export async function rerunCommand(
  runId: string,
  options: RunsCommandOptions,
  io: CommandIO,
  proc: RunsProcess,
): Promise<number> {
  const answer = await callRuns<{
    runId: string;
    rerunOf: string;
    status: string;
    output?: unknown;
    error?: unknown;
  }>(apiOf(options, proc), "POST", `/${encodeURIComponent(runId)}/rerun`, io.closed);
  if (options.json) io.out(`${JSON.stringify(answer)}\n`);
  else {
    io.out(`${answer.runId} ${answer.status} (a rerun of ${answer.rerunOf})\n`);
    if (answer.output !== undefined) io.out(`${JSON.stringify(answer.output, null, 2)}\n`);
    if (answer.error !== undefined) io.out(`${JSON.stringify(answer.error, null, 2)}\n`);
    if (answer.status === "running")
      io.out(`follow it: flows runs tail ${answer.runId} --url ${options.url}\n`);
  }
  return answer.status === "ok" || answer.status === "running" ? EXIT.ok : EXIT.runFailed;
}
