import { execFile } from "node:child_process";
import { relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { looksLikeFlow } from "../../flows/load/detect.ts";
import type { FlowSource } from "../../flows/validate/types.ts";
import { FLOW_EXTENSIONS, SKIPPED_DIRS } from "../files.ts";
import { CliError } from "../run/errors.ts";

/**
 * The flow files of a git revision of the repository around the current folder, under the paths given (as
 * `flows validate` finds them in a folder: `.yaml`, `.yml`, `.json` with a top-level `flows:`, no
 * `node_modules` or dot-folders), named as the same files of the working tree are (relative to the current
 * folder), so that both sides of a plan pair by file.
 */

const run = promisify(execFile);
const MAX_BUFFER = 256 * 1024 * 1024;

async function git(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run("git", args, { cwd, maxBuffer: MAX_BUFFER, encoding: "utf8" });
    return stdout;
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    const why = e.code === "ENOENT" ? "git is not installed" : (e.stderr?.trim() || e.message).split("\n")[0];
    throw new CliError("CLI_GIT_FAILED", `git ${args[0]} failed: ${why}`, { args });
  }
}

/** True for a path (relative to the folder searched) inside `node_modules` or a dot-folder. */
const skipped = (path: string): boolean =>
  path
    .split("/")
    .slice(0, -1)
    .some((dir) => SKIPPED_DIRS.has(dir) || dir.startsWith("."));

/**
 * The flow files at `revision` under `paths` (files or folders of the working tree, which need not exist any
 * more; default the current folder). Throws CLI_GIT_FAILED outside a repository or for an unknown revision.
 * @example await gitFlowFiles("main", ["flows"]) // [{ file: "flows/orders.yaml", text }]
 */
export async function gitFlowFiles(
  revision: string,
  paths: readonly string[],
  cwd: string = process.cwd(),
): Promise<FlowSource[]> {
  const top = (await git(["rev-parse", "--show-toplevel"], cwd)).trim();
  const commit = await git(["rev-parse", "--verify", "--quiet", `${revision}^{commit}`], cwd).catch(() => "");
  if (commit.trim() === "")
    throw new CliError("CLI_GIT_FAILED", `\`${revision}\` is not a revision of the repository at ${top}`, {
      revision,
    });
  const sources: FlowSource[] = [];
  const seen = new Set<string>();
  for (const path of paths.length > 0 ? paths : ["."]) {
    const inRepo = relative(top, resolve(cwd, path)).split(sep).join("/");
    if (inRepo.startsWith(".."))
      throw new CliError("CLI_GIT_FAILED", `${path} is outside the repository at ${top}`);
    const listed = await git(["ls-tree", "-r", "-z", "--name-only", commit.trim(), "--", inRepo || "."], top);
    for (const name of listed.split("\0").filter(Boolean)) {
      const under = inRepo && name.startsWith(`${inRepo}/`) ? name.slice(inRepo.length + 1) : name;
      const direct = name === inRepo;
      if (seen.has(name) || (!direct && (!FLOW_EXTENSIONS.test(name) || skipped(under)))) continue;
      const text = await git(["show", `${commit.trim()}:${name}`], top);
      if (!direct && !looksLikeFlow(name, text)) continue;
      seen.add(name);
      sources.push({ file: relative(cwd, resolve(top, name)) || name, text });
    }
  }
  return sources;
}
