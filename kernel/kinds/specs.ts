import { EVENT_TYPE_PATTERN } from "../../flows/ir/durable.ts";
import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { DURATION_PATTERN } from "../../flows/units/duration.ts";

/**
 * Declarations of the built-in node kinds: the pure half that the validator, the packager and the docs read,
 * without pulling in any implementation. Implementations live beside this file (`kernel/kinds/<kind>.ts`).
 */

const DURATION: JsonSchema = { type: "string", pattern: DURATION_PATTERN };
const OUT = { out: {} } as const;
const noConfig: JsonSchema = { type: "object", additionalProperties: false, properties: {} };

export const KIND_TRANSFORM = "transform";
export const KIND_CONDITION = "condition";
export const KIND_SWITCH = "switch";
export const KIND_MAP = "map";
export const KIND_MERGE = "merge";
export const KIND_SUBFLOW = "subflow";
export const KIND_DELAY = "delay";
export const KIND_SLEEP = "sleep";
export const KIND_WAIT = "wait";
export const KIND_LOG = "log";
export const KIND_FAIL = "fail";
export const KIND_RESPOND = "respond";

const transform: NodeKindSpec = {
  kind: KIND_TRANSFORM,
  description:
    "Shapes data. Output `out` is `config.value` (a template that may use `input`) or, without it, the object of its inputs.",
  effect: "pure",
  determinism: "strict",
  inputs: {},
  openInputs: true,
  outputs: OUT,
  configSchema: { type: "object", additionalProperties: false, properties: { value: {} } },
  expressionConfig: ["value"],
};

const condition: NodeKindSpec = {
  kind: KIND_CONDITION,
  description:
    "Evaluates `config.when` (a CEL condition, bare or in `${{ }}`, where `input` is the node's inputs: `input.value > 3`); emits input `value` on port `then` when true, on port `else` otherwise.",
  effect: "pure",
  determinism: "strict",
  inputs: { value: {} },
  // biome-ignore lint/suspicious/noThenProperty: `then` is a port name, and this object is never awaited.
  outputs: { then: {}, else: {} },
  branch: () => ({ exhaustive: true }),
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["when"],
    properties: { when: { type: "string", minLength: 1 } },
  },
  expressionConfig: ["when"],
};

const switchKind: NodeKindSpec = {
  kind: KIND_SWITCH,
  description:
    "Emits input `value` on the port of the first case whose `when` (a CEL condition where `input` is the node's inputs, `input.value < 12`; evaluated in order) is true, else on `config.default` (if set), else on no port.",
  effect: "pure",
  determinism: "strict",
  inputs: { value: {} },
  outputs: (config) => {
    const cases = Array.isArray(config.cases) ? config.cases : [];
    const names = cases.map((c) => (c && typeof c === "object" && !Array.isArray(c) ? String(c.port) : ""));
    return typeof config.default === "string" ? [...names, config.default] : names;
  },
  branch: (config) => ({ exhaustive: typeof config.default === "string" }),
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["cases"],
    properties: {
      cases: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["port", "when"],
          properties: { port: { type: "string", pattern: "^[a-z][a-zA-Z0-9_]*$" }, when: { type: "string" } },
        },
      },
      default: { type: "string", pattern: "^[a-z][a-zA-Z0-9_]*$" },
    },
  },
  expressionConfig: ["cases"],
};

const map: NodeKindSpec = {
  kind: KIND_MAP,
  description:
    "Runs `config.node` (a node template, which may use `item` and `index`) once per element of input `items`, at most `concurrency` (default 6) at a time; `out` is the list of results in order, or with `stream: true` a stream of them, each a chunk as soon as it and the ones before it are done.",
  effect: "pure",
  determinism: "strict",
  inputs: { items: { required: true } },
  outputs: OUT,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["node"],
    properties: {
      concurrency: { type: "integer", minimum: 1, maximum: 100 },
      stream: { type: "boolean" },
      node: {
        type: "object",
        additionalProperties: false,
        required: ["kind"],
        properties: {
          kind: { type: "string" },
          inputs: { type: "object" },
          config: { type: "object" },
          port: { type: "string" },
        },
      },
    },
  },
};

const merge: NodeKindSpec = {
  kind: KIND_MERGE,
  description:
    "Joins branches. Runs once every input's source has ended, even if some were skipped (it is skipped only when none has a value). `mode: first` emits the first input that has a value; `mode: all` (default) emits an object of the inputs that have one.",
  effect: "pure",
  determinism: "strict",
  inputs: {},
  openInputs: true,
  join: true,
  outputs: OUT,
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { mode: { enum: ["first", "all"] } },
  },
};

const subflow: NodeKindSpec = {
  kind: KIND_SUBFLOW,
  description:
    "Runs another flow of the same deployment with input `input` as its trigger body; `out` is its output.",
  // The callee's own nodes are checked where it is defined; as a node, a call is as weak as any flow can be.
  effect: "external",
  determinism: "best_effort",
  inputs: { input: {} },
  outputs: OUT,
  target: "config.flow",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["flow"],
    properties: { flow: { type: "string", pattern: "^[a-z][a-z0-9-]{0,62}$" } },
  },
};

const delay: NodeKindSpec = {
  kind: KIND_DELAY,
  description: "Waits `config.duration` (cancellable), then emits input `value` on `out`.",
  effect: "pure",
  determinism: "strict",
  inputs: { value: {} },
  outputs: OUT,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["duration"],
    properties: { duration: DURATION },
  },
};

const sleep: NodeKindSpec = {
  kind: KIND_SLEEP,
  description:
    "Waits `config.duration`, or until `config.until` (an expression giving an RFC 3339 timestamp or epoch milliseconds), then emits input `value` on `out`. In a durable flow the wait is a durable step (days are fine: the run is not kept in memory); elsewhere it is a cancellable wait inside the run's deadline.",
  effect: "pure",
  determinism: "strict",
  ownStep: true,
  inputs: { value: {} },
  outputs: OUT,
  expressionConfig: ["until"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { duration: DURATION, until: { anyOf: [{ type: "string" }, { type: "number" }] } },
    oneOf: [{ required: ["duration"] }, { required: ["until"] }],
  },
};

/** `wait` emits on `timeout` only when `config.onTimeout` is `port`. */
const waitOutputs = (config: Record<string, unknown>): string[] =>
  config.onTimeout === "port" ? ["out", "timeout"] : ["out"];

const wait: NodeKindSpec = {
  kind: KIND_WAIT,
  description:
    "Durable flows only: waits for an event of type `config.event` sent to this run (`POST /_flows/runs/:id/events/:type`, or an `event.send` node), for at most `config.timeout` (24h by default); `out` is the event's payload. With no event in time it fails with WAIT_TIMEOUT, or emits `{ event, timeoutMs }` on port `timeout` when `config.onTimeout` is `port`.",
  effect: "read",
  determinism: "nondeterministic",
  ownStep: true,
  inputs: {},
  outputs: waitOutputs,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["event"],
    properties: {
      event: { type: "string", pattern: EVENT_TYPE_PATTERN },
      timeout: DURATION,
      onTimeout: { enum: ["error", "port"] },
    },
  },
};

const log: NodeKindSpec = {
  kind: KIND_LOG,
  description:
    "Writes a structured log line with input `message` and `data`; `out` is `data`. Logging is observability, not a flow effect.",
  effect: "pure",
  determinism: "strict",
  inputs: { message: { required: true }, data: {} },
  outputs: OUT,
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { level: { enum: ["debug", "info", "warn", "error"] } },
  },
};

const fail: NodeKindSpec = {
  kind: KIND_FAIL,
  description:
    "Ends the run with a user error: `config.code` (UPPER_SNAKE), `config.status`, input `message` and `details`.",
  effect: "pure",
  determinism: "strict",
  inputs: { message: { required: true }, details: {} },
  outputs: {},
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["code"],
    properties: {
      code: { type: "string", pattern: "^[A-Z][A-Z0-9_]*$" },
      status: { type: "integer", minimum: 400, maximum: 599 },
    },
  },
};

const respond: NodeKindSpec = {
  kind: KIND_RESPOND,
  description:
    "The run's answer: `out` is `{ status, headers, body }` from its inputs (status 200 by default).",
  effect: "pure",
  determinism: "strict",
  inputs: { body: {}, status: {}, headers: {} },
  outputs: OUT,
  configSchema: noConfig,
};

/** The built-in kinds, keyed by kind name. */
export const BUILTIN_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_TRANSFORM]: transform,
  [KIND_CONDITION]: condition,
  [KIND_SWITCH]: switchKind,
  [KIND_MAP]: map,
  [KIND_MERGE]: merge,
  [KIND_SUBFLOW]: subflow,
  [KIND_DELAY]: delay,
  [KIND_SLEEP]: sleep,
  [KIND_WAIT]: wait,
  [KIND_LOG]: log,
  [KIND_FAIL]: fail,
  [KIND_RESPOND]: respond,
});
