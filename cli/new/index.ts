import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { CommandIO } from "../commands/io.ts";
import { PACKAGE_VERSION } from "../package-info.ts";
import { CliError, EXIT } from "../run/errors.ts";

/** The project templates, each a folder of `cli/new/templates/`. */
export const TEMPLATES = ["http-sse", "github-app", "queue", "cron"] as const;
export type TemplateName = (typeof TEMPLATES)[number];

const TEMPLATE_ROOT = join(import.meta.dirname, "templates");

/** The wrangler the project's `dev` and `deploy` scripts run: the peer range this package is tested with. */
const WRANGLER_SPEC = "^4.156.2";

/** Files whose names npm or git would mangle are stored under another name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

export interface NewOptions {
  template?: string;
  force?: boolean;
  /**
   * The dependency spec of `flows-runtime` in the new package.json: `^<this CLI's version>` by default; a
   * tarball or folder (`file:…`) to test an unpublished build.
   */
  flowsSpec?: string;
}

/** The spec of the `flows-runtime` dependency: the version range of the CLI that writes the project. */
export const defaultFlowsSpec = (): string => `^${PACKAGE_VERSION}`;

/** An npm package name from a folder name: `My App!` → `my-app`. */
export function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-._]+|[-._]+$/g, "");
  return name || "flows-project";
}

async function filesOf(dir: string, out: string[] = []): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await filesOf(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * The text of a template file with its placeholders filled (`__NAME__`, `__FLOWS_SPEC__`, `__TEMPLATE__`,
 * `__WRANGLER_SPEC__`).
 */
export function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/__([A-Z_]+)__/g, (whole, key: string) => values[key] ?? whole);
}

/**
 * `flows new <dir> --template <name>`: writes a ready project (package.json depending on flows, flows, fixtures
 * and tests, README, .gitignore). Refuses a non-empty folder without `--force` (`CLI_DIR_NOT_EMPTY`); with
 * `--force` it writes its files over existing ones and leaves other files alone. Returns the files written.
 * @example await newProject("my-app", { template: "cron" })
 */
export async function newProject(dir: string, options: NewOptions): Promise<string[]> {
  const template = options.template;
  if (!template || !(TEMPLATES as readonly string[]).includes(template)) {
    throw new CliError(
      "CLI_OPTION_INVALID",
      `${template ? `unknown template \`${template}\`` : "--template is required"}: choose one of ${TEMPLATES.join(", ")}`,
      { templates: TEMPLATES },
    );
  }
  const target = resolve(dir);
  const info = await stat(target).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new CliError("CLI_DIR_NOT_EMPTY", `${dir} exists and is not a folder`, { dir });
  }
  if (info && !options.force && (await readdir(target)).length > 0) {
    throw new CliError(
      "CLI_DIR_NOT_EMPTY",
      `${dir} is not empty: choose a new or empty folder, or pass --force to write the template's files into it`,
      { dir },
    );
  }
  const values = {
    NAME: packageName(dir),
    FLOWS_SPEC: options.flowsSpec ?? defaultFlowsSpec(),
    TEMPLATE: template,
    WRANGLER_SPEC: WRANGLER_SPEC,
  };
  const source = join(TEMPLATE_ROOT, template);
  const written: string[] = [];
  try {
    for (const file of await filesOf(source)) {
      const rel = relative(source, file);
      const name = RENAMED[basename(rel)];
      const out = join(target, name ? join(dirname(rel), name) : rel);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, fill(await readFile(file, "utf8"), values));
      written.push(relative(target, out));
    }
  } catch (error) {
    throw new CliError(
      "CLI_OUT_UNWRITABLE",
      `cannot write the project into ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { dir },
    );
  }
  return written;
}

/** Runs `flows new` and prints what it wrote and what to do next; returns the exit code. */
export async function newCommand(dir: string, options: NewOptions, io: CommandIO): Promise<number> {
  const written = await newProject(dir, options);
  io.out(`created ${dir} from template ${options.template}:\n`);
  for (const file of written) io.out(`  ${file}\n`);
  const cd = existsSync(dir) ? `cd ${dir} && ` : "";
  io.out(`\nnext: ${cd}npm install && npm test\n`);
  return EXIT.ok;
}
