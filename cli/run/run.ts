import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import type { FlowDocument } from "../../flows/index.ts";
import { isDurable, isEventType } from "../../flows/ir/durable.ts";
import { calledFlows } from "../../flows/ir/subflows.ts";
import {
  createPlan,
  explainSkippedOutput,
  type KindRegistry,
  type Logger,
  MemorySteps,
  parseDuration,
  type RunEvent,
  runFlow,
  toEnvelope,
} from "../../kernel/index.ts";
import { colorsFor } from "../color.ts";
import { type CommandIO, reportStream } from "../commands/io.ts";
import { runBindings } from "./bindings.ts";
import { CliError, EXIT } from "./errors.ts";
import { jsonLine, materialize, plainJson, prettyLine } from "./format.ts";
import { capabilityVars, invalidReport, loadFlows, projectKinds } from "./load.ts";
import { selectFlow, selectTrigger, triggerEvent } from "./trigger.ts";

export interface RunCommandOptions {
  /** The flow to run, by id, when several files are given. */
  flow?: string;
  trigger?: string;
  /** A JSON file, or `-` for stdin. */
  input?: string;
  json?: boolean;
  /** Whole-run deadline, a duration (`30s`); the flow's `defaults.deadline` (else 25 s) by default. */
  timeout?: string;
  /** A JSON file the output must equal (exit 4 otherwise). */
  expect?: string;
  /** Folder for local KV/R2/queue data; ephemeral by default. */
  persist?: string;
  /** A durable flow's sleeps (and retry backoffs) end at once; a wait with no event then times out at once. */
  skipSleeps?: boolean;
  /** Events for a durable flow's waits, `type` or `type=<JSON file>` (its payload), in the order given. */
  event?: string[];
}

/** What the run command needs of the process besides output: stdin and Ctrl-C (injected for tests). */
export interface RunProcess {
  readStdin(): Promise<string>;
  /** Calls `cancel` on Ctrl-C until the returned function is called. */
  onInterrupt(cancel: () => void): () => void;
  environment: NodeJS.ProcessEnv;
}

/** The real process: stdin and SIGINT. */
export const nodeProcess: RunProcess = {
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  onInterrupt: (cancel) => {
    process.once("SIGINT", cancel);
    return () => process.off("SIGINT", cancel);
  },
  environment: process.env,
};

async function readJson(path: string, what: string, proc: RunProcess): Promise<unknown> {
  let text: string;
  try {
    text = path === "-" ? await proc.readStdin() : await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(
      "CLI_INPUT_INVALID",
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { file: path },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(
      "CLI_INPUT_INVALID",
      `${what} ${path === "-" ? "on stdin" : path} is not valid JSON: ${(error as Error).message}`,
      { file: path },
    );
  }
}

/**
 * The in-process engine of a durable flow (`MemorySteps`: Workflows' semantics without persistence), with the
 * events given by `--event`; undefined for a flow that is not durable (then `--skip-sleeps` and `--event` are
 * usage errors: nothing would read them).
 */
async function durableEngine(
  doc: FlowDocument,
  options: RunCommandOptions,
  proc: RunProcess,
): Promise<MemorySteps | undefined> {
  const events = options.event ?? [];
  if (!isDurable(doc)) {
    if (events.length > 0 || options.skipSleeps)
      throw new CliError(
        "CLI_OPTION_INVALID",
        `${events.length > 0 ? "--event" : "--skip-sleeps"} is for a durable flow (durable: true); flow \`${doc.id}\` is not one`,
      );
    return undefined;
  }
  const given: { type: string; payload?: unknown }[] = [];
  for (const spec of events) {
    const at = spec.indexOf("=");
    const type = at === -1 ? spec : spec.slice(0, at);
    if (!isEventType(type))
      throw new CliError(
        "CLI_OPTION_INVALID",
        `--event ${spec}: the type must be letters, digits, \`_\` and \`-\` (then \`=<JSON file>\` for its payload)`,
      );
    given.push(
      at === -1 ? { type } : { type, payload: await readJson(spec.slice(at + 1), "event payload", proc) },
    );
  }
  return new MemorySteps({ skipSleeps: options.skipSleeps === true, events: given });
}

/** Log lines of `log` nodes, printed among the events. */
function logger(options: RunCommandOptions, io: CommandIO): Logger {
  return {
    log: (level, message, fields) => {
      if (options.json) io.out(jsonLine({ type: "log", level, message, ...fields }));
      else {
        // The run id, node and cause are on the events already; keep the line short.
        const { runId: _r, nodeId, cause: _c, ...rest } = fields ?? {};
        const extra = Object.keys(rest).length > 0 ? ` ${jsonLine(rest).trimEnd()}` : "";
        const node = typeof nodeId === "string" ? `${nodeId} ` : "";
        io.out(`${"".padStart(7)} ${`log.${level}`.padEnd(13)} ${node}${message}${extra}\n`);
      }
    },
  };
}

/**
 * The flow to run and what it needs of the others: every plan by id (for its `subflow` nodes), and one document
 * declaring the bindings of the flow and of the flows it calls (a child's KV is bound for the run too).
 */
function deployment(documents: readonly FlowDocument[], doc: FlowDocument, registry: KindRegistry) {
  const byId = new Map(documents.map((d) => [d.id, d]));
  const plans = new Map(documents.map((d) => [d.id, createPlan(d, { registry })]));
  const called = [...calledFlows(doc, byId)].map((id) => byId.get(id)!);
  const bindings = Object.assign(
    {},
    ...[...called].reverse().map((d) => d.bindings ?? {}),
    doc.bindings ?? {},
  );
  const plan = plans.get(doc.id)!;
  const used = { ...plan, nodes: [plan, ...called.map((d) => plans.get(d.id)!)].flatMap((p) => p.nodes) };
  return { plan, plans, bindingsDoc: { ...doc, bindings }, used };
}

/**
 * `flows run <file|dir...>`: validates the flows together, picks the one to run (`--flow`), builds the trigger from `--input`, runs it once with local bindings
 * when it needs them, prints each run event as it happens and the output at the end. Returns the exit code:
 * 0 ok, 1 invalid flow, 2 usage (CliError), 3 the run failed, 4 the output differs from `--expect`, 130 Ctrl-C.
 */
export async function runCommand(
  paths: string | readonly string[],
  options: RunCommandOptions,
  io: CommandIO,
  proc: RunProcess = nodeProcess,
): Promise<number> {
  const c = colorsFor(io.stdout, proc.environment);
  const flows = await loadFlows(typeof paths === "string" ? [paths] : paths);
  if (!flows.ok) {
    const json = options.json === true;
    const report = `${invalidReport(flows, json, json ? c : colorsFor(reportStream(io), proc.environment))}\n`;
    if (json) io.out(report);
    else io.err(report);
    return EXIT.invalid;
  }
  const doc = selectFlow(flows.documents, options.flow, options.trigger);
  const selected = selectTrigger(doc, options.trigger);
  let deadlineMs: number | undefined;
  if (options.timeout !== undefined) {
    deadlineMs = parseDuration(options.timeout);
    if (deadlineMs === undefined || deadlineMs <= 0) {
      throw new CliError(
        "CLI_OPTION_INVALID",
        `--timeout ${options.timeout} is not a duration like 500ms, 30s or 2m`,
      );
    }
  }
  const input = options.input === undefined ? undefined : await readJson(options.input, "input", proc);
  const steps = await durableEngine(doc, options, proc);
  const expected =
    options.expect === undefined ? undefined : await readJson(options.expect, "expected output", proc);
  const { plan, plans, bindingsDoc, used } = deployment(flows.documents, doc, await projectKinds());
  const trigger = triggerEvent(selected, input);
  // Listen before starting workerd, so that Ctrl-C during its start-up still releases it.
  const controller = new AbortController();
  let interrupted = false;
  const stopInterrupt = proc.onInterrupt(() => {
    interrupted = true;
    controller.abort(new Error("interrupted (Ctrl-C)"));
  });
  // Nobody reads the events any more (`flows run --json | head -3`): end the run as Ctrl-C would.
  const onClosed = (): void => {
    interrupted = true;
    controller.abort(new Error("stdout was closed by its reader"));
  };
  if (io.closed?.aborted) onClosed();
  io.closed?.addEventListener("abort", onClosed, { once: true });
  const stopListening = (): void => {
    stopInterrupt();
    io.closed?.removeEventListener("abort", onClosed);
  };
  let bindings: Awaited<ReturnType<typeof runBindings>>;
  try {
    bindings = await runBindings(bindingsDoc, used, {
      persist: options.persist,
      environment: proc.environment,
      vars: await capabilityVars(bindingsDoc),
    });
  } catch (error) {
    stopListening();
    throw error;
  }
  if (interrupted) {
    stopListening();
    await bindings.dispose();
    return EXIT.interrupted;
  }
  const kinds = new Map(plan.nodes.map((n) => [n.id, n.kindName]));
  let startedAt = 0;
  const onEvent = (event: RunEvent): void => {
    if (event.type === "run.start") startedAt = event.at;
    io.out(options.json ? jsonLine(event) : prettyLine(event, startedAt, kinds, c));
  };
  try {
    const result = await runFlow(plan, {
      trigger,
      env: bindings.env,
      signal: controller.signal,
      plans,
      onEvent,
      logger: logger(options, io),
      // A durable run waits as long as its sleeps and waits say, unless --timeout bounds it.
      ...(steps ? { steps, deadlineMs: deadlineMs ?? Number.POSITIVE_INFINITY } : {}),
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
    });
    if (result.status !== "ok") {
      if (io.closed?.aborted) return EXIT.interrupted;
      const envelope = toEnvelope(result.error, result.runId);
      if (options.json) io.out(jsonLine(envelope));
      else {
        io.err(`${c.red(c.bold(`error[${envelope.error.code}]`))} ${envelope.error.message}\n`);
        if (envelope.error.details !== undefined) io.err(`  details: ${jsonLine(envelope.error.details)}`);
        // A local run is the developer's own terminal: show the cause the envelope hides from clients.
        const cause = result.error?.cause;
        if (envelope.error.code === "INTERNAL" && cause !== undefined) {
          io.err(`  cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
        }
      }
      return interrupted ? EXIT.interrupted : EXIT.runFailed;
    }
    const output = plainJson(await materialize(result.output));
    const skipped = result.outputSkipped;
    if (options.json)
      io.out(jsonLine({ output, runId: result.runId, ...(skipped && { outputSkipped: skipped }) }));
    else {
      io.out(`${c.bold("output:")} ${JSON.stringify(output, null, 2)}\n`);
      // Over HTTP this run would answer 500 NO_RESPONSE: say why it has no output.
      if (skipped) io.err(`${c.yellow("note:")} no output: ${explainSkippedOutput(skipped)}\n`);
    }
    if (expected !== undefined && !isDeepStrictEqual(output, expected)) {
      throw new CliError(
        "CLI_OUTPUT_MISMATCH",
        `the output differs from ${options.expect}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(output)}`,
        { expected, actual: output },
      );
    }
    return EXIT.ok;
  } finally {
    stopListening();
    await bindings.dispose();
  }
}
