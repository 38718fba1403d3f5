import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { BUILTIN_CAPABILITIES } from "../capabilities/declarations.ts";
import type { Capability } from "../capabilities/define.ts";
import { type CapabilityRegistry, createCapabilityRegistry } from "../capabilities/registry.ts";
import type { KindCatalog, NodeKindSpec } from "../flows/kinds/spec.ts";
import type { CompiledValidator } from "../flows/validate/types.ts";
import { CODE_DEFAULTS } from "../kernel/errors.ts";
import { BUILTIN_KIND_SPECS } from "../kernel/kinds/specs.ts";
import type { KindRegistry } from "../kernel/kinds/types.ts";
import { PACKAGE_NAME } from "./package-info.ts";
import { CliError } from "./run/errors.ts";

/**
 * The user's project as the CLI sees it: the capability packages listed in its package.json
 * (`"flows": { "capabilities": ["flows-capability-echo"] }`, see impl-docs/decisions/capability-packages.md),
 * added to the built-in ones. `flows validate`, `run`, `package` and `dev` read it.
 */
export interface Project {
  /** The folder of the package.json read; undefined when there is none (built-ins only). */
  root?: string;
  /** The third-party capability packages, by package name, in the order listed. */
  packages: string[];
  /** Built-in and third-party capabilities. */
  registry: CapabilityRegistry;
  /** The built-in kinds plus every capability's: what the validator checks against. */
  catalog: KindCatalog;
  /** Config validators of the third-party kinds, compiled in Node with ajv (the build compiled the built-ins'). */
  configValidators: Readonly<Record<string, CompiledValidator>>;
  /** Imports a capability's run-time module (its `runtime.module`, resolved from the project) and returns its kinds. */
  runtimeKinds(capability: Capability): Promise<KindRegistry>;
}

/** A capability configuration or package that cannot be used: CliError `CLI_CAPABILITY_INVALID` (exit 2). */
const projectError = (message: string): CliError => new CliError("CLI_CAPABILITY_INVALID", message);

/** The nearest folder, from `from` up, with a package.json. */
function findRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The `name` of the user's project (the nearest package.json above `from`, scope dropped), or undefined: none, no
 * name, or the flows-runtime package itself (its examples are named after their folders).
 */
export function projectName(from: string): string | undefined {
  const root = findRoot(from);
  if (!root) return undefined;
  try {
    const { name } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: unknown };
    if (typeof name !== "string" || !name || name === PACKAGE_NAME) return undefined;
    return name.replace(/^@[^/]+\//, "");
  } catch {
    return undefined;
  }
}

type Exports = string | null | { [key: string]: Exports } | Exports[];

/** The target of one export entry for Node's ESM loader (`node`, `import`, `default` conditions). */
function target(entry: Exports | undefined): string | undefined {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) return entry.map(target).find((t) => t !== undefined);
  if (entry && typeof entry === "object") {
    for (const condition of ["node", "import", "default"]) {
      const t = target(entry[condition]);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/**
 * Resolves a package specifier (`name` or `name/sub`, `@scope/name/sub`) from `root` the way Node's ESM loader
 * does for the common cases: `node_modules` folders upward, then the package's `exports` (or `main`).
 */
export async function resolveSpecifier(specifier: string, root: string): Promise<string> {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, nameLength).join("/");
  const sub = parts.length > nameLength ? `./${parts.slice(nameLength).join("/")}` : ".";
  let dir = resolve(root);
  for (;;) {
    const pkgDir = join(dir, "node_modules", name);
    if (existsSync(join(pkgDir, "package.json"))) {
      const pkg = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as {
        exports?: Exports;
        main?: string;
      };
      let file: string | undefined;
      if (pkg.exports !== undefined) {
        const map = pkg.exports;
        const isMap = map && typeof map === "object" && !Array.isArray(map);
        const subpaths = isMap && Object.keys(map).some((k) => k.startsWith("."));
        file = subpaths
          ? target((map as Record<string, Exports>)[sub])
          : sub === "."
            ? target(map)
            : undefined;
      } else file = sub === "." ? (pkg.main ?? "index.js") : sub;
      if (file === undefined) {
        throw projectError(`package \`${name}\` exports no \`${sub}\` (needed for \`${specifier}\`)`);
      }
      return join(pkgDir, file);
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw projectError(
    `cannot find package \`${name}\` from ${root}: install it (\`npm install ${name}\`) or remove it from "flows.capabilities" in package.json`,
  );
}

const isCapability = (value: unknown): value is Capability => {
  const v = value as Partial<Capability> | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    typeof v.kinds === "object" &&
    typeof v.runtime?.module === "string" &&
    typeof v.wrangler === "function" &&
    typeof v.codes === "object"
  );
};

/** A package's capabilities: its main export's `default` (one, or a list) or its named `capability`. */
async function importCapabilities(name: string, root: string): Promise<Capability[]> {
  const file = await resolveSpecifier(name, root);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const found = module.default ?? module.capability;
  const list = Array.isArray(found) ? found : [found];
  if (list.length === 0 || !list.every(isCapability)) {
    throw projectError(
      `package \`${name}\` does not export a capability: its main module must \`export default defineCapability({...})\``,
    );
  }
  return list;
}

/** Config validators for kinds the build did not compile, with the same ajv options as `cli/build/validators.ts`. */
export function compileConfigValidators(kinds: readonly NodeKindSpec[]): Record<string, CompiledValidator> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, discriminator: true });
  const out: Record<string, CompiledValidator> = {};
  for (const spec of kinds) {
    try {
      out[spec.kind] = ajv.compile(structuredClone(spec.configSchema)) as CompiledValidator;
    } catch (error) {
      throw projectError(
        `configSchema of kind \`${spec.kind}\` does not compile: ${(error as Error).message}`,
      );
    }
  }
  return out;
}

/** Reads `flows.capabilities` of a package.json: a list of package names. */
function listedCapabilities(pkg: unknown, file: string): string[] {
  const flows = (pkg as { flows?: unknown }).flows;
  if (flows === undefined) return [];
  const list = (flows as { capabilities?: unknown } | null)?.capabilities;
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((n) => typeof n === "string" && n.length > 0)) {
    throw projectError(`${file}: "flows.capabilities" must be a list of package names`);
  }
  return list;
}

const loaded = new Map<string, Promise<Project>>();

/**
 * The project of the folder `from` (the current one by default): its nearest package.json's capability
 * packages imported and checked (no kind, code or name twice, with the built-ins or each other). Cached per
 * folder. Throws CliError `CLI_CAPABILITY_INVALID`.
 * @example const { catalog, configValidators } = await loadProject(); validateFlows(sources, catalog, { configValidators })
 */
export function loadProject(from: string = process.cwd()): Promise<Project> {
  const root = findRoot(from);
  const key = root ?? "";
  let project = loaded.get(key);
  if (!project) {
    project = readProject(root);
    loaded.set(key, project);
    project.catch(() => loaded.delete(key));
  }
  return project;
}

async function readProject(root: string | undefined): Promise<Project> {
  let packages: string[] = [];
  if (root) {
    const file = join(root, "package.json");
    let pkg: unknown;
    try {
      pkg = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw projectError(`${file} is not JSON: ${(error as Error).message}`);
    }
    packages = listedCapabilities(pkg, file);
  }
  const third: Capability[] = [];
  for (const name of packages) third.push(...(await importCapabilities(name, root as string)));
  const registry = (() => {
    try {
      return createCapabilityRegistry([...BUILTIN_CAPABILITIES, ...third], CODE_DEFAULTS);
    } catch (error) {
      throw projectError((error as Error).message);
    }
  })();
  for (const kind of Object.keys(registry.catalog)) {
    if (Object.hasOwn(BUILTIN_KIND_SPECS, kind)) {
      throw projectError(
        `node kind \`${kind}\` of capability \`${registry.owner(kind)?.name}\` is a built-in kind`,
      );
    }
  }
  const catalog = Object.freeze({ ...BUILTIN_KIND_SPECS, ...registry.catalog });
  const configValidators = compileConfigValidators(third.flatMap((c) => Object.values(c.kinds)));
  const runtimeKinds = async (capability: Capability): Promise<KindRegistry> => {
    const { module: specifier, export: name } = capability.runtime;
    const file = await resolveSpecifier(specifier, root ?? process.cwd());
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const kinds = module[name];
    if (typeof kinds !== "object" || kinds === null) {
      throw projectError(`\`${specifier}\` has no export \`${name}\` (capability \`${capability.name}\`)`);
    }
    return kinds as KindRegistry;
  };
  return { ...(root ? { root } : {}), packages, registry, catalog, configValidators, runtimeKinds };
}
