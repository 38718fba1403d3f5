import type { IndexEntry, RunRecord } from "../../hosts/workers/runs/record.ts";
import type { RunsPage } from "../../hosts/workers/runs/store.ts";
import { colorsFor } from "../color.ts";
import type { CommandIO } from "../commands/io.ts";
import { CliError } from "../run/errors.ts";
import { baseUrl, getRuns, type RunsApi, tokenFrom } from "./client.ts";
import { formatList, formatRecord } from "./format.ts";

/** `flows runs list` and `flows runs show`: the run API of a served Worker, read from the command line. */

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
  const record = await getRuns<RunRecord>(api, `/${encodeURIComponent(runId)}`, io.closed);
  if (options.json) io.out(`${JSON.stringify(record)}\n`);
  else io.out(formatRecord(record, colorsFor(io.stdout, proc.environment)));
  return 0;
}
