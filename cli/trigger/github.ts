import { createHmac, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_WEBHOOK_SECRET } from "../../flows/ir/triggers.ts";
import { DEFAULT_GITHUB_PATH } from "../../flows/validate/index.ts";
import type { CommandIO } from "../commands/io.ts";
import { DEV_VARS, devVarsValue } from "../package/dev-vars.ts";
import { CliError, EXIT } from "../run/errors.ts";
import { baseUrl } from "../runs/client.ts";
import { type Answer, deliver, printAnswer } from "./deliver.ts";

/**
 * `flows trigger github <event[.action]> --payload <file>`: a GitHub delivery as GitHub sends one, to a served
 * Worker (a `flows dev` by default): the payload signed with the webhook secret (`X-Hub-Signature-256`), a fresh
 * `X-GitHub-Delivery` (or `--delivery <id>`, to send a redelivery), `X-GitHub-Event`. Probot's `receive`, for flows.
 */

export interface GithubTriggerOptions {
  payload?: string;
  url?: string;
  path?: string;
  secret?: string;
  secretName?: string;
  delivery?: string;
  json?: boolean;
}

export interface TriggerProcess {
  environment: NodeJS.ProcessEnv;
  /** Where `.dev.vars` is looked for (the working directory). */
  cwd?: string;
  fetch?: typeof fetch;
}

/** `issues.opened` → event `issues`, action `opened`; a usage error for anything GitHub would not send. */
export function parseEvent(text: string): { event: string; action?: string } {
  const match = /^([a-z_]+)(?:\.([a-z_]+))?$/.exec(text);
  if (!match)
    throw new CliError(
      "CLI_OPTION_INVALID",
      `${JSON.stringify(text)} is not a GitHub event: give its name and, optionally, its action, e.g. issues.opened or push`,
    );
  return match[2] ? { event: match[1]!, action: match[2] } : { event: match[1]! };
}

/** The webhook secret: `--secret`, else the environment's, else the last value in `.dev.vars`; a usage error without. */
async function secretOf(options: GithubTriggerOptions, proc: TriggerProcess): Promise<string> {
  const name = options.secretName ?? DEFAULT_WEBHOOK_SECRET;
  if (options.secret) return options.secret;
  if (proc.environment[name]) return proc.environment[name]!;
  const file = join(proc.cwd ?? process.cwd(), DEV_VARS);
  const text = await readFile(file, "utf8").catch(() => undefined);
  const value = text === undefined ? undefined : devVarsValue(text, name);
  if (value) return value;
  throw new CliError(
    "CLI_SECRET_MISSING",
    `no webhook secret: set ${name} in ${DEV_VARS} (as \`flows dev\` reads it), in the environment, or pass --secret <secret>`,
    { name, file },
  );
}

/** The payload file as the body GitHub would send: its JSON, with the action of `event.action` when it has none. */
async function payloadOf(file: string | undefined, action: string | undefined): Promise<string> {
  if (!file)
    throw new CliError("CLI_OPTION_INVALID", "--payload <file> is required: the delivery's JSON body");
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CliError("CLI_FILE_NOT_FOUND", `cannot read --payload ${file}: ${error.code ?? error.message}`);
  });
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new CliError("CLI_INPUT_INVALID", `--payload ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw new CliError(
      "CLI_INPUT_INVALID",
      `--payload ${file} must hold a JSON object, as GitHub's payloads are`,
    );
  const given = (payload as { action?: unknown }).action;
  if (action === undefined) return text;
  if (given === undefined) return JSON.stringify({ action, ...payload });
  if (given !== action)
    throw new CliError(
      "CLI_OPTION_INVALID",
      `--payload ${file} has action ${JSON.stringify(given)}, not ${JSON.stringify(action)}: drop the action from the event, or fix the payload`,
    );
  return text;
}

/** `X-Hub-Signature-256` of `body` under `secret`, as GitHub computes it: `sha256=<HMAC-SHA256, hex>`. */
export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;

/** Sends the delivery and prints the answer: exit 0 when the Worker took it (2xx), 3 for an error answer. */
export async function triggerGithub(
  eventText: string,
  options: GithubTriggerOptions,
  io: CommandIO,
  proc: TriggerProcess,
): Promise<number> {
  const { event, action } = parseEvent(eventText);
  const base = baseUrl(options.url ?? "http://127.0.0.1:8787");
  const path = options.path ?? DEFAULT_GITHUB_PATH;
  if (!path.startsWith("/"))
    throw new CliError("CLI_OPTION_INVALID", `--path must start with /: ${JSON.stringify(path)}`);
  const [secret, body] = await Promise.all([secretOf(options, proc), payloadOf(options.payload, action)]);
  const delivery = options.delivery ?? randomUUID();
  const answer: Answer = await deliver(
    `${base}${path}`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/flows-trigger",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": signature(secret, body),
      },
      body,
    },
    proc.fetch,
  );
  printAnswer(io, options.json === true, { delivery, event: eventText }, answer);
  return answer.status >= 200 && answer.status < 300 ? EXIT.ok : EXIT.runFailed;
}
