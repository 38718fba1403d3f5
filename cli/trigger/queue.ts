import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEV_QUEUES_PATH } from "../../hosts/workers/dev/queue-sender.ts";
import { ADMIN_TOKEN_BINDING } from "../../hosts/workers/viewer/auth.ts";
import type { CommandIO } from "../commands/io.ts";
import { DEV_VARS, devVarsValue } from "../package/dev-vars.ts";
import { CliError, EXIT } from "../run/errors.ts";
import { baseUrl } from "../runs/client.ts";
import { deliver, printAnswer } from "./deliver.ts";
import type { TriggerProcess } from "./github.ts";

/**
 * `flows trigger queue <queue> --message <file>`: puts one message on a local queue of a `flows dev` (its queue
 * sender, `cli/package/dev-queues.ts`), as a producer Worker would; the packaged Worker's consumer then runs it
 * as the queue delivers it (batching, retries and dead-letter queue as configured).
 */

export interface QueueTriggerOptions {
  message?: string;
  /** How the file is sent: `json` (default: parsed, sent as a JSON message), `text`, or `bytes`. */
  contentType?: string;
  delay?: string;
  url?: string;
  token?: string;
  json?: boolean;
}

const CONTENT_TYPES = {
  json: "application/json",
  text: "text/plain; charset=utf-8",
  bytes: "application/octet-stream",
};
type ContentType = keyof typeof CONTENT_TYPES;

/**
 * The run API's token: `--token`, else `FLOWS_ADMIN_TOKEN` of the environment, else the one `flows dev` put in the
 * `.dev.vars` of its package (`.flows/dev/<port>`, the default `--out` for the URL's port).
 */
async function tokenOf(options: QueueTriggerOptions, base: string, proc: TriggerProcess): Promise<string> {
  if (options.token) return options.token;
  if (proc.environment.FLOWS_ADMIN_TOKEN) return proc.environment.FLOWS_ADMIN_TOKEN;
  const url = new URL(base);
  const file = join(proc.cwd ?? process.cwd(), ".flows", "dev", url.port || "80", DEV_VARS);
  const text = await readFile(file, "utf8").catch(() => undefined);
  const token = text === undefined ? undefined : devVarsValue(text, ADMIN_TOKEN_BINDING);
  if (token) return token;
  throw new CliError(
    "CLI_TOKEN_MISSING",
    `a message starts a run, so the queue sender needs the Worker's FLOWS_ADMIN_TOKEN: pass --token <token> or set FLOWS_ADMIN_TOKEN (none in ${file}, where \`flows dev\` on that port writes it)`,
    { file },
  );
}

/** The message file as the request body of its content type (JSON checked here, to report the file and line). */
async function messageOf(file: string | undefined, type: ContentType): Promise<Blob | string> {
  if (!file) throw new CliError("CLI_OPTION_INVALID", "--message <file> is required: the message's body");
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliError("CLI_FILE_NOT_FOUND", `cannot read --message ${file}: ${error.code ?? error.message}`);
  });
  if (type === "bytes") return new Blob([bytes]);
  const text = new TextDecoder().decode(bytes);
  if (type === "json") {
    try {
      JSON.parse(text);
    } catch (error) {
      throw new CliError(
        "CLI_INPUT_INVALID",
        `--message ${file} is not JSON: ${(error as Error).message} (send it as it is with --content-type text or bytes)`,
      );
    }
  }
  return text;
}

/** Sends the message and prints the answer: exit 0 when the queue took it (2xx), 3 for an error answer. */
export async function triggerQueue(
  queue: string,
  options: QueueTriggerOptions,
  io: CommandIO,
  proc: TriggerProcess,
): Promise<number> {
  const base = baseUrl(options.url ?? "http://127.0.0.1:8787");
  const type = (options.contentType ?? "json") as ContentType;
  if (!(type in CONTENT_TYPES))
    throw new CliError(
      "CLI_OPTION_INVALID",
      `--content-type ${JSON.stringify(options.contentType)} is not one of ${Object.keys(CONTENT_TYPES).join(", ")}`,
    );
  if (options.delay !== undefined && !/^\d+$/.test(options.delay))
    throw new CliError(
      "CLI_OPTION_INVALID",
      `--delay must be whole seconds: ${JSON.stringify(options.delay)}`,
    );
  const [token, body] = await Promise.all([tokenOf(options, base, proc), messageOf(options.message, type)]);
  const query = options.delay === undefined ? "" : `?delaySeconds=${options.delay}`;
  const answer = await deliver(
    `${base}${DEV_QUEUES_PATH}${encodeURIComponent(queue)}${query}`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": CONTENT_TYPES[type] },
      body,
    },
    proc.fetch,
  );
  const ok = answer.status >= 200 && answer.status < 300;
  // A deployed Worker has no queue sender: its 404 is not about the queue.
  if (
    answer.status === 404 &&
    (answer.body as { error?: { code?: string } })?.error?.code === "ROUTE_NOT_FOUND"
  )
    io.err(
      "flows: this Worker has no queue sender: `flows trigger queue` sends to a `flows dev` (for a deployed queue, send from a producer Worker, or with the Queues HTTP push API)\n",
    );
  printAnswer(io, options.json === true, { queue }, answer);
  if (ok && options.json !== true)
    io.out(
      "the Worker's consumer runs it as the queue delivers it: its run line shows in `flows dev`'s output (`flows runs list --flow <id>` lists it if it fails)\n",
    );
  return ok ? EXIT.ok : EXIT.runFailed;
}
