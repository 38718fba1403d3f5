import { relative, resolve } from "node:path";
import {
  type ChangePlan,
  planSources,
  renderChangePlanMarkdown,
  renderChangePlanText,
} from "../../flows/changes/index.ts";
import type { FlowSource } from "../../flows/validate/types.ts";
import { colorsFor } from "../color.ts";
import type { CommandIO } from "../commands/io.ts";
import { readFlowFiles } from "../files.ts";
import { loadProject } from "../project.ts";
import { CliError } from "../run/errors.ts";
import { gitFlowFiles } from "./git.ts";

/**
 * `flows plan`: reads both sides (files, folders, packaged `flows.json`, or git revisions), plans the change with
 * the project's kinds (`flows/changes`) and prints it for people, as JSON or as Markdown. The exit code says what
 * the plan found, as `--fail-on` asks.
 */

export interface PlanOptions {
  base?: string;
  head?: string;
  json?: boolean;
  markdown?: boolean;
  failOn?: string;
  title?: string;
}

/** Exit codes of `flows plan`. */
export const PLAN_EXIT = Object.freeze({ unchanged: 0, changed: 1, usage: 2, breaking: 3 });

const FAIL_ON = ["breaking", "changes", "never"] as const;
type FailOn = (typeof FAIL_ON)[number];

/** The exit code of a plan: `changes` (default) 0 / 1 / 3; `breaking` 0 / 3; `never` 0. */
export function planExitCode(plan: ChangePlan, failOn: FailOn): number {
  if (failOn === "never" || plan.status === "unchanged") return PLAN_EXIT.unchanged;
  if (plan.status === "breaking") return PLAN_EXIT.breaking;
  return failOn === "changes" ? PLAN_EXIT.changed : PLAN_EXIT.unchanged;
}

const option = (message: string): CliError => new CliError("CLI_OPTION_INVALID", message);

/** Files of the working tree, named relative to `cwd` (as the git side names them). */
async function workingTree(paths: readonly string[], cwd: string): Promise<FlowSource[]> {
  const sources = await readFlowFiles(
    (paths.length > 0 ? paths : ["."]).map((p) => resolve(cwd, p)),
    { allowEmpty: true },
  );
  return sources.map((s) => ({ ...s, file: relative(cwd, s.file) || s.file }));
}

/** Both sides from the arguments: `<before> <after>`, or `--base <rev> [paths...]` (and `--head <rev>`). */
async function sides(
  args: readonly string[],
  options: PlanOptions,
  cwd: string,
): Promise<[FlowSource[], FlowSource[]]> {
  if (options.base === undefined) {
    if (options.head !== undefined)
      throw option("--head needs --base: `flows plan --base main --head HEAD [paths...]`");
    if (args.length !== 2)
      throw option(
        `flows plan takes two sides, <before> and <after> (files, folders or packaged flows.json), or --base <revision> [paths...]; got ${args.length} argument${args.length === 1 ? "" : "s"}`,
      );
    return [await workingTree([args[0]!], cwd), await workingTree([args[1]!], cwd)];
  }
  const before = await gitFlowFiles(options.base, args, cwd);
  const after =
    options.head === undefined ? await workingTree(args, cwd) : await gitFlowFiles(options.head, args, cwd);
  return [before, after];
}

/**
 * Runs `flows plan` and returns its exit code. The plan goes to stdout (text, `--json` or `--markdown`); with
 * nothing changed the text output is empty and stderr says so in one line. Files that cannot be planned make the
 * exit code 2 whatever the plan says.
 * @example io.setExitCode(await planCommand(["old/", "new/"], { json: true }, io))
 */
export async function planCommand(
  args: readonly string[],
  options: PlanOptions,
  io: CommandIO,
  cwd: string = process.cwd(),
): Promise<number> {
  const failOn = (options.failOn ?? "changes") as FailOn;
  if (!FAIL_ON.includes(failOn))
    throw option(`--fail-on must be one of ${FAIL_ON.join(", ")}; got \`${options.failOn}\``);
  if (options.json && options.markdown) throw option("--json and --markdown: choose one output");
  const [before, after] = await sides(args, options, cwd);
  const { catalog } = await loadProject(cwd);
  const plan = planSources(before, after, { catalog });
  if (options.json) io.out(`${JSON.stringify(plan, null, 2)}\n`);
  else if (options.markdown)
    io.out(renderChangePlanMarkdown(plan, options.title === undefined ? {} : { title: options.title }));
  else {
    io.out(renderChangePlanText(plan, colorsFor(io.stdout)));
    if (plan.status === "unchanged" && plan.problems.length === 0)
      io.err(
        `flows plan: no changes (${plan.summary.flows.after} flow${plan.summary.flows.after === 1 ? "" : "s"} compared)\n`,
      );
  }
  if (plan.problems.length > 0) {
    const n = plan.problems.length;
    io.err(
      `flows: ${n} file${n === 1 ? "" : "s"} could not be planned (see "not planned"); fix or remove ${n === 1 ? "it" : "them"}\n`,
    );
    return PLAN_EXIT.usage;
  }
  return planExitCode(plan, failOn);
}
