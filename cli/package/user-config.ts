import { readFile } from "node:fs/promises";
import { applyEdits, type JSONPath, modify, type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { refreshHeader } from "./config.ts";
import { PackageError } from "./errors.ts";

/**
 * The wrangler configuration belongs to the user: `flows package workers` adds what the flows need to it and never
 * changes or removes anything already there (ids, routes, `env.*`, observability, unknown keys, comments). What is
 * "already there" is decided by name: a binding by its `binding` (or a Durable Object binding by its `name`), a
 * queue consumer by its `queue`, a var or a flag by itself. See impl-docs/decisions/0007-user-owned-wrangler-config.md.
 */

type Json = Record<string, unknown>;

/** One change made to the user's file, e.g. `kv_namespaces: CACHE` or `env.staging.vars: GREETING`. */
export interface ConfigMerge {
  text: string;
  /** What was added, in file order. */
  added: string[];
  /** Things the flows need that the user's file sets otherwise (kept as the user set them). */
  notes: string[];
}

interface Op {
  path: JSONPath;
  value: unknown;
  insert: boolean;
  label: string;
}

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" } };

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Adds the entries of `needed` whose key is not in `current` (a list at `path`; created when absent). */
function addEntries(
  ops: Op[],
  path: JSONPath,
  current: unknown,
  needed: unknown,
  key: (entry: unknown) => unknown,
  label: string,
): void {
  if (!Array.isArray(needed) || needed.length === 0) return;
  if (current === undefined) {
    ops.push({ path, value: needed, insert: false, label: `${label}: ${needed.map(key).join(", ")}` });
    return;
  }
  if (!Array.isArray(current)) return;
  const have = new Set(current.map(key));
  let index = current.length;
  for (const entry of needed) {
    const id = key(entry);
    if (have.has(id)) continue;
    have.add(id);
    ops.push({ path: [...path, index++], value: entry, insert: true, label: `${label}: ${String(id)}` });
  }
}

const field =
  (name: string) =>
  (entry: unknown): unknown =>
    isObject(entry) ? entry[name] : entry;
const routePattern = (entry: unknown): unknown => (isObject(entry) ? entry.pattern : entry);
const itself = (entry: unknown): unknown => entry;

/**
 * The bindings, vars and secrets: the sections wrangler does not inherit into `env.<name>`, so each environment
 * the user has gets what the flows need too.
 */
function planBindings(ops: Op[], prefix: JSONPath, current: Json, needed: Json): void {
  const at = (...keys: (string | number)[]): JSONPath => [...prefix, ...keys];
  const label = (section: string) => [...prefix, section].join(".");
  if (isObject(needed.vars)) {
    const vars = current.vars;
    if (vars === undefined)
      ops.push({ path: at("vars"), value: needed.vars, insert: false, label: label("vars") });
    else if (isObject(vars)) {
      for (const [name, value] of Object.entries(needed.vars)) {
        if (!(name in vars))
          ops.push({ path: at("vars", name), value, insert: false, label: `${label("vars")}: ${name}` });
      }
    }
  }
  addEntries(
    ops,
    at("kv_namespaces"),
    current.kv_namespaces,
    needed.kv_namespaces,
    field("binding"),
    label("kv_namespaces"),
  );
  addEntries(
    ops,
    at("r2_buckets"),
    current.r2_buckets,
    needed.r2_buckets,
    field("binding"),
    label("r2_buckets"),
  );
  if (isObject(needed.queues)) {
    const queues = current.queues;
    if (queues === undefined)
      ops.push({ path: at("queues"), value: needed.queues, insert: false, label: label("queues") });
    else if (isObject(queues)) {
      addEntries(
        ops,
        at("queues", "producers"),
        queues.producers,
        needed.queues.producers,
        field("binding"),
        label("queues.producers"),
      );
      addEntries(
        ops,
        at("queues", "consumers"),
        queues.consumers,
        needed.queues.consumers,
        field("queue"),
        label("queues.consumers"),
      );
    }
  }
  if (isObject(needed.durable_objects)) {
    const objects = current.durable_objects;
    if (objects === undefined)
      ops.push({
        path: at("durable_objects"),
        value: needed.durable_objects,
        insert: false,
        label: label("durable_objects"),
      });
    else if (isObject(objects))
      addEntries(
        ops,
        at("durable_objects", "bindings"),
        objects.bindings,
        needed.durable_objects.bindings,
        field("name"),
        label("durable_objects.bindings"),
      );
  }
  addEntries(ops, at("workflows"), current.workflows, needed.workflows, field("binding"), label("workflows"));
  addEntries(
    ops,
    at("analytics_engine_datasets"),
    current.analytics_engine_datasets,
    needed.analytics_engine_datasets,
    field("binding"),
    label("analytics_engine_datasets"),
  );
  if (isObject(needed.secrets)) {
    const secrets = current.secrets;
    if (secrets === undefined)
      ops.push({ path: at("secrets"), value: needed.secrets, insert: false, label: label("secrets") });
    else if (isObject(secrets))
      addEntries(
        ops,
        at("secrets", "required"),
        secrets.required,
        needed.secrets.required,
        itself,
        label("secrets.required"),
      );
  }
}

/** The classes some migration already creates (or renames to). */
function migratedClasses(migrations: unknown[]): Set<string> {
  const classes = new Set<string>();
  for (const migration of migrations) {
    if (!isObject(migration)) continue;
    for (const key of ["new_classes", "new_sqlite_classes"]) {
      const list = migration[key];
      if (Array.isArray(list)) for (const c of list) if (typeof c === "string") classes.add(c);
    }
    if (Array.isArray(migration.renamed_classes))
      for (const r of migration.renamed_classes)
        if (isObject(r) && typeof r.to === "string") classes.add(r.to);
  }
  return classes;
}

/** The operations that add to `current` what `needed` has and it lacks. */
function plan(current: Json, needed: Json, notes: string[]): Op[] {
  const ops: Op[] = [];
  for (const key of ["name", "main", "no_bundle", "compatibility_date"]) {
    if (needed[key] === undefined) continue;
    if (current[key] === undefined) ops.push({ path: [key], value: needed[key], insert: false, label: key });
    else if (key === "main" && current[key] !== needed[key]) {
      notes.push(
        `main is ${JSON.stringify(current[key])}, not the packaged bundle ${JSON.stringify(needed[key])}: wrangler deploys the user's main`,
      );
    }
  }
  addEntries(
    ops,
    ["compatibility_flags"],
    current.compatibility_flags,
    needed.compatibility_flags,
    itself,
    "compatibility_flags",
  );
  addEntries(ops, ["routes"], current.routes, needed.routes, routePattern, "routes");
  planBindings(ops, [], current, needed);
  if (Array.isArray(needed.migrations)) {
    const migrations = current.migrations;
    if (migrations === undefined)
      ops.push({ path: ["migrations"], value: needed.migrations, insert: false, label: "migrations" });
    else if (Array.isArray(migrations)) {
      const have = migratedClasses(migrations);
      const missing = [...migratedClasses(needed.migrations)].filter((c) => !have.has(c));
      if (missing.length > 0) {
        const tags = new Set(migrations.map(field("tag")));
        let n = migrations.length + 1;
        while (tags.has(`v${n}`)) n++;
        ops.push({
          path: ["migrations", migrations.length],
          value: { tag: `v${n}`, new_sqlite_classes: missing },
          insert: true,
          label: `migrations: v${n} (${missing.join(", ")})`,
        });
      }
    }
  }
  if (isObject(needed.triggers)) {
    const triggers = current.triggers;
    if (triggers === undefined)
      ops.push({ path: ["triggers"], value: needed.triggers, insert: false, label: "triggers" });
    else if (isObject(triggers))
      addEntries(ops, ["triggers", "crons"], triggers.crons, needed.triggers.crons, itself, "triggers.crons");
  }
  // The user's own observability settings are theirs: added only when the config has none.
  if (needed.observability !== undefined && current.observability === undefined)
    ops.push({ path: ["observability"], value: needed.observability, insert: false, label: "observability" });
  if (isObject(current.env)) {
    for (const [name, env] of Object.entries(current.env))
      if (isObject(env)) planBindings(ops, ["env", name], env, needed);
  }
  return ops;
}

/** Parses JSONC (comments and trailing commas allowed); a coded error names the first problem's line. */
export function parseUserConfig(text: string, file: string): Json {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first || !isObject(value)) {
    const line = first ? text.slice(0, first.offset).split("\n").length : 1;
    const problem = first ? printParseErrorCode(first.error) : "not an object";
    throw new PackageError(
      "PACKAGE_CONFIG_INVALID",
      `${file}:${line}: the wrangler config is not valid JSONC (${problem}): fix it, or move it away to have a new one written`,
      { file, line, problem },
    );
  }
  return value;
}

/**
 * Adds to the JSONC `text` (a user's wrangler.jsonc or wrangler.json) what `needed` (the flows' configuration, as
 * `wranglerConfig` gives it) has and the text lacks, editing only those places: everything else keeps its bytes.
 * @example mergeUserConfig('{ "name": "app", "kv_namespaces": [{ "binding": "KV", "id": "abc" }] }', needed, "wrangler.jsonc")
 */
export function mergeUserConfig(text: string, needed: Json, file: string): ConfigMerge {
  const current = parseUserConfig(text, file);
  const notes: string[] = [];
  let out = text;
  const added: string[] = [];
  for (const op of plan(current, needed, notes)) {
    out = applyEdits(out, modify(out, op.path, op.value, { ...FORMAT, isArrayInsertion: op.insert }));
    added.push(op.label);
  }
  return { text: out, added, notes };
}

/** What to write to the config file (undefined: it has everything already), and what was done. */
export interface ConfigUpdate {
  text: string | undefined;
  created: boolean;
  added: string[];
  notes: string[];
}

/**
 * The new text of the config file at `path`: `fresh` (header and configuration) when there is none, else the
 * user's file with what `needed` adds, and the packager's header (while the file starts with it) set to `header`.
 */
export async function updateConfigFile(
  path: string,
  needed: Json,
  header: string,
  fresh: () => string,
): Promise<ConfigUpdate> {
  const existing = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw new PackageError("PACKAGE_OUT_DIR", `cannot read ${path} (${error.code ?? "unknown"})`, {
      config: path,
      cause: error.code,
    });
  });
  if (existing === undefined) return { text: fresh(), created: true, added: [], notes: [] };
  const merged = mergeUserConfig(existing, needed, path);
  const text = refreshHeader(merged.text, header);
  return {
    text: text === existing ? undefined : text,
    created: false,
    added: merged.added,
    notes: merged.notes,
  };
}
