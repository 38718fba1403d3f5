import { Document, isScalar, visit } from "yaml";
import type { Json } from "./flow-mutations.ts";

/**
 * Mutations of flow documents for the change plan's property test (flows/changes/property.test.ts), driven by one
 * seed each so that fast-check can report and replay a failure: reformattings that must give an empty plan
 * (keys and nodes reordered, YAML ↔ JSON, comments, quoting, whitespace inside expressions, bare fields wrapped in
 * `${{ }}`, defaults written out) and single real changes that must give a plan naming the changed element.
 */

type Obj = { [k: string]: Json };
type Random = () => number;

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function shuffled<T>(r: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every key order shuffled, at any depth (arrays keep their order). */
function shuffleKeys(r: Random, value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(r, v));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const key of shuffled(r, Object.keys(value))) out[key] = shuffleKeys(r, value[key]!);
  return out;
}

const SPACE = [" ", "  ", "", "\n  ", "\t"];

/**
 * The same expression with other whitespace: runs of whitespace outside string literals replaced, spaces added
 * around some punctuation, string literals without quotes or backslashes inside requoted.
 */
export function respace(r: Random, source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      const body = source.slice(i + 1, j);
      const plain = !/['"\\]/.test(body) && !(i > 0 && /[rRbB]/.test(source[i - 1]!));
      const quote = plain && r() < 0.5 ? (c === "'" ? '"' : "'") : c;
      out += quote + body + quote;
      i = j + 1;
    } else if (/\s/.test(c)) {
      while (i < source.length && /\s/.test(source[i]!)) i++;
      out += pick(r, [" ", "  ", "\n   ", " \t "]);
    } else if ("(),[]{}".includes(c) || (c === "+" && !/[eE]$/.test(out))) {
      out += `${r() < 0.3 ? pick(r, SPACE) : ""}${c}${r() < 0.3 ? pick(r, SPACE) : ""}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A string value with its `${{ }}` expressions respaced (`$${{` escapes left alone). */
function respaceTemplate(r: Random, text: string): string {
  return text.replace(/(?<!\$)\$\{\{([\s\S]*?)\}\}/g, (_, inner: string) => {
    const pad = () => pick(r, ["", " ", "  "]);
    const body = respace(r, inner.trim());
    // `{ … }}}` would close the expression one brace early: an expression ending in `}` keeps a space before `}}`.
    const end = body.endsWith("}") ? pick(r, [" ", "  "]) : pad();
    return `\${{${pad()}${body}${end}}}`;
  });
}

/** A bare field, respaced, and wrapped in `${{ }}` or unwrapped at random. */
function respaceBare(r: Random, text: string): string {
  const trimmed = text.trim();
  const wrapped = trimmed.startsWith("${{") && trimmed.endsWith("}}");
  const inner = wrapped ? trimmed.slice(3, -2).trim() : trimmed;
  const spaced = respace(r, inner);
  return r() < 0.5 ? `\${{ ${spaced} }}` : spaced;
}

function respaceValues(r: Random, value: Json, bareKey: boolean): Json {
  if (typeof value === "string") return bareKey ? respaceBare(r, value) : respaceTemplate(r, value);
  if (Array.isArray(value)) return value.map((v) => respaceValues(r, v, bareKey));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = respaceValues(r, v, bareKey);
  return out;
}

/** Config strings under `when` (condition, switch cases) are bare expressions; the others templates. */
function respaceConfig(r: Random, value: Json, key: string): Json {
  if (typeof value === "string") return key === "when" ? respaceBare(r, value) : respaceTemplate(r, value);
  if (Array.isArray(value)) return value.map((v) => respaceConfig(r, v, key));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = respaceConfig(r, v, k);
  return out;
}

/** Kinds whose config fields are evaluated (the rest of config is static text, left alone). */
const EVALUATED: Readonly<Record<string, readonly string[]>> = {
  transform: ["value"],
  condition: ["when"],
  switch: ["cases"],
};

function respaceNode(r: Random, node: Obj): Obj {
  const out: Obj = { ...node };
  if (isObj(node.inputs)) out.inputs = respaceValues(r, node.inputs, false);
  if (typeof node.when === "string") out.when = respaceBare(r, node.when);
  if (typeof node.idempotencyKey === "string") out.idempotencyKey = respaceBare(r, node.idempotencyKey);
  if (isObj(node.config)) {
    const config: Obj = { ...node.config };
    for (const field of EVALUATED[String(node.kind)] ?? [])
      if (config[field] !== undefined) config[field] = respaceConfig(r, config[field]!, field);
    if (node.kind === "map" && isObj(config.node)) config.node = respaceNode(r, config.node);
    out.config = config;
  }
  if (Array.isArray(node.after)) out.after = shuffled(r, node.after);
  return out;
}

/** Defaults the runtime applies, written out (or not). */
function withDefaults(r: Random, trigger: Obj): Obj {
  const out = { ...trigger };
  if (trigger.type === "http") {
    if (out.response === undefined && r() < 0.3) out.response = "json";
    if (out.body === undefined && r() < 0.3) out.body = "parsed";
    if (out.maxBodySize === undefined && r() < 0.3)
      out.maxBodySize = pick(r, ["1mb", "1024kb", "1MiB", "1048576"]);
  }
  if (trigger.type === "github") {
    if (out.path === undefined && r() < 0.3) out.path = "/api/github/webhooks";
    if (out.ack === undefined && r() < 0.3) out.ack = "sync";
    if (Array.isArray(out.events)) out.events = shuffled(r, out.events);
  }
  if (trigger.type === "cron" && typeof out.schedule === "string" && r() < 0.3)
    out.schedule = out.schedule.split(" ").join(pick(r, ["  ", " \t"]));
  return out;
}

/** The document reformatted, still as data: keys and nodes reordered, expressions respaced, defaults written. */
export function reformatDocument(r: Random, doc: Obj): Obj {
  const out: Obj = { ...doc };
  if (Array.isArray(doc.nodes))
    out.nodes = shuffled(
      r,
      doc.nodes.map((n) => respaceNode(r, n as Obj)),
    );
  // Triggers are matched by what they serve: their order is formatting too (ids given in the file stay).
  if (Array.isArray(doc.triggers))
    out.triggers = shuffled(
      r,
      doc.triggers.map((t) => withDefaults(r, t as Obj)),
    );
  return shuffleKeys(r, out) as Obj;
}

const hasEmptyList = (value: Json): boolean =>
  Array.isArray(value)
    ? value.length === 0 || value.some(hasEmptyList)
    : isObj(value) && Object.values(value).some(hasEmptyList);

const STRING_TYPES = ["PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"] as const;

/** The document as file text: JSON (any indentation) or YAML (any quoting, style, width), with comments. */
export function serialize(r: Random, doc: Obj, name: string): { file: string; text: string } {
  if (r() < 0.3) return { file: `${name}.json`, text: JSON.stringify(doc, null, pick(r, [0, 2, 4, "\t"])) };
  const yaml = new Document(doc);
  visit(yaml, {
    Pair(_, pair) {
      if (isScalar(pair.key) && r() < 0.08)
        pair.key.commentBefore = ` ${pick(r, ["note", "why: ${{ x }}", "a: b"])}`;
      if (isScalar(pair.value) && r() < 0.05) pair.value.comment = " trailing # comment";
    },
  });
  if (r() < 0.5) yaml.commentBefore = " yaml-language-server: $schema=../../flows/schema/flow.v1.json";
  const text = yaml.toString({
    indent: pick(r, [2, 4]),
    defaultStringType: pick(r, STRING_TYPES),
    defaultKeyType: pick(r, ["PLAIN", "QUOTE_DOUBLE"] as const),
    collectionStyle: pick(r, ["any", "block", "flow"] as const),
    lineWidth: pick(r, [0, 60, 120]),
    // `yaml` writes an empty list under a key at the key's own indentation without indentSeq (not YAML).
    indentSeq: r() < 0.5 || hasEmptyList(doc),
  });
  return { file: `${name}.${pick(r, ["yaml", "yml"])}`, text };
}

/** Node ids referenced as `nodes.<id>` anywhere in a value, renamed. */
function renameRefs(value: Json, from: string, to: string): Json {
  if (typeof value === "string")
    return value.replace(new RegExp(`\\bnodes\\.${from}\\b`, "g"), `nodes.${to}`);
  if (Array.isArray(value)) return value.map((v) => (v === from ? to : renameRefs(v, from, to)));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = renameRefs(v, from, to);
  return out;
}

/** A real change: the changed document and a name that the plan must mention (in a subject or a message). */
export interface RealChange {
  what: string;
  document: Obj;
  names: string;
}

type Change = (r: Random, doc: Obj, n: number) => Omit<RealChange, "what"> | undefined;

const nodesOf = (doc: Obj): Obj[] => (doc.nodes as Obj[]).map((n) => ({ ...n }));
const triggersOf = (doc: Obj): Obj[] => (doc.triggers as Obj[]).map((t) => ({ ...t }));
const withNode = (doc: Obj, i: number, node: Obj): Obj => {
  const nodes = nodesOf(doc);
  nodes[i] = node;
  return { ...doc, nodes };
};
const withTrigger = (doc: Obj, i: number, trigger: Obj | undefined): Obj => {
  const triggers = triggersOf(doc);
  if (trigger) triggers[i] = trigger;
  else triggers.splice(i, 1);
  return { ...doc, triggers };
};

const CHANGES: Readonly<Record<string, Change>> = {
  "node input": (r, doc, n) => {
    const i = Math.floor(r() * nodesOf(doc).length);
    const node = nodesOf(doc)[i]!;
    const inputs = isObj(node.inputs) ? node.inputs : {};
    const port = Object.keys(inputs).length > 0 && r() < 0.7 ? pick(r, Object.keys(inputs)) : `extra${n}`;
    return {
      document: withNode(doc, i, { ...node, inputs: { ...inputs, [port]: `changed ${n}` } }),
      names: `\`${node.id}\``,
    };
  },
  "node added": (_r, doc, n) => ({
    document: { ...doc, nodes: [...nodesOf(doc), { id: `added${n}`, kind: "transform", inputs: { n } }] },
    names: `\`added${n}\``,
  }),
  "node removed": (r, doc) => {
    const nodes = nodesOf(doc);
    if (nodes.length < 2) return undefined;
    const i = Math.floor(r() * nodes.length);
    const [gone] = nodes.splice(i, 1);
    return { document: { ...doc, nodes }, names: `\`${gone!.id}\`` };
  },
  "node renamed": (r, doc, n) => {
    const node = pick(r, nodesOf(doc));
    const to = `${node.id}R${n}`;
    const renamed = renameRefs(
      { ...doc, nodes: nodesOf(doc).map((x) => (x.id === node.id ? { ...x, id: to } : x)) },
      String(node.id),
      to,
    ) as Obj;
    if (renamed.output === node.id) renamed.output = to;
    return { document: renamed, names: `\`${to}\`` };
  },
  "node kind": (r, doc) => {
    const i = Math.floor(r() * nodesOf(doc).length);
    const node = nodesOf(doc)[i]!;
    const kind = node.kind === "merge" ? "transform" : "merge";
    return { document: withNode(doc, i, { ...node, kind }), names: `\`${node.id}\`` };
  },
  "node when": (r, doc, n) => {
    const i = Math.floor(r() * nodesOf(doc).length);
    const node = nodesOf(doc)[i]!;
    return { document: withNode(doc, i, { ...node, when: `run.id != "x${n}"` }), names: `\`${node.id}\`` };
  },
  "node retry": (r, doc) => {
    const i = Math.floor(r() * nodesOf(doc).length);
    const node = nodesOf(doc)[i]!;
    return {
      document: withNode(doc, i, { ...node, retry: { attempts: 7, idempotent: true } }),
      names: `\`${node.id}\``,
    };
  },
  "node timeout": (r, doc) => {
    const i = Math.floor(r() * nodesOf(doc).length);
    const node = nodesOf(doc)[i]!;
    return { document: withNode(doc, i, { ...node, timeout: "1234ms" }), names: `\`${node.id}\`` };
  },
  "route path": (r, doc, n) => {
    const i = triggersOf(doc).findIndex((t) => t.type === "http");
    if (i === -1) return undefined;
    const t = triggersOf(doc)[i]!;
    const path = `${t.path}/changed${n}`;
    return {
      document: withTrigger(doc, i, { ...t, path, method: r() < 0.5 ? (t.method ?? "GET") : "PATCH" }),
      names: path,
    };
  },
  "response mode": (_r, doc) => {
    const i = triggersOf(doc).findIndex((t) => t.type === "http");
    if (i === -1) return undefined;
    const t = triggersOf(doc)[i]!;
    const response = t.response === "sse" ? "json" : "sse";
    return { document: withTrigger(doc, i, { ...t, response }), names: `\`${response}\`` };
  },
  "trigger removed": (r, doc) => {
    const triggers = triggersOf(doc);
    if (triggers.length === 0) return undefined;
    const i = Math.floor(r() * triggers.length);
    const t = triggers[i]!;
    const names = String(t.path ?? t.queue ?? t.schedule ?? (t.events as string[])[0]);
    return { document: withTrigger(doc, i, undefined), names };
  },
  "trigger added": (_r, doc, n) => ({
    document: {
      ...doc,
      triggers: [...triggersOf(doc), { type: "http", method: "POST", path: `/added/${n}` }],
    },
    names: `/added/${n}`,
  }),
  schedule: (_r, doc, n) => {
    const i = triggersOf(doc).findIndex((t) => t.type === "cron");
    const schedule = `${n % 60} 4 * * *`;
    if (i === -1)
      return {
        document: { ...doc, triggers: [...triggersOf(doc), { type: "cron", schedule }] },
        names: schedule,
      };
    return { document: withTrigger(doc, i, { ...triggersOf(doc)[i]!, schedule }), names: schedule };
  },
  queue: (_r, doc, n) => {
    const i = triggersOf(doc).findIndex((t) => t.type === "queue");
    if (i === -1) return undefined;
    const queue = `renamed-${n}`;
    return { document: withTrigger(doc, i, { ...triggersOf(doc)[i]!, queue }), names: queue };
  },
  "github events": (_r, doc) => {
    const i = triggersOf(doc).findIndex((t) => t.type === "github");
    if (i === -1) return undefined;
    const t = triggersOf(doc)[i]!;
    return {
      document: withTrigger(doc, i, { ...t, events: [...(t.events as string[]), "deployment.created"] }),
      names: "deployment.created",
    };
  },
  "binding added": (r, doc, n) => {
    const name = `NEW_${n}`;
    const binding: Obj = r() < 0.5 ? { type: "secret" } : { type: "var", value: n };
    return { document: { ...doc, bindings: { ...(doc.bindings as Obj), [name]: binding } }, names: name };
  },
  "binding removed": (r, doc) => {
    const names = Object.keys((doc.bindings as Obj | undefined) ?? {});
    if (names.length === 0) return undefined;
    const name = pick(r, names);
    const bindings = { ...(doc.bindings as Obj) };
    delete bindings[name];
    return { document: { ...doc, bindings }, names: name };
  },
  "binding changed": (r, doc, n) => {
    const names = Object.keys((doc.bindings as Obj | undefined) ?? {});
    if (names.length === 0) return undefined;
    const name = pick(r, names);
    const decl = (doc.bindings as Obj)[name] as Obj;
    const changed =
      decl.type === "var" ? { ...decl, value: `v${n}` } : { ...decl, description: `changed ${n}` };
    return { document: { ...doc, bindings: { ...(doc.bindings as Obj), [name]: changed } }, names: name };
  },
  version: (_r, doc, n) => ({ document: { ...doc, version: `9.${n}.0` }, names: `9.${n}.0` }),
  deadline: (_r, doc) => ({
    document: { ...doc, defaults: { ...(doc.defaults as Obj), deadline: "17s" } },
    names: "17s",
  }),
  output: (r, doc) => {
    const responders = nodesOf(doc).filter((x) => x.kind === "respond");
    const implied = doc.output ?? (responders.length === 1 ? responders[0]!.id : undefined);
    const ids = nodesOf(doc)
      .map((x) => String(x.id))
      .filter((id) => id !== implied);
    if (ids.length === 0) return undefined;
    const id = pick(r, ids);
    return { document: { ...doc, output: id }, names: `\`${id}\`` };
  },
};

export const CHANGE_KINDS = Object.keys(CHANGES);

/** A real change of the kind `what`, or undefined where `doc` has nothing that kind changes (no queue trigger, …). */
export function realChangeOfKind(r: Random, doc: Obj, n: number, what: string): RealChange | undefined {
  const change = CHANGES[what];
  if (!change) throw new Error(`no change kind ${what}`);
  const made = change(r, structuredClone(doc), n);
  return made && { what, ...made };
}
