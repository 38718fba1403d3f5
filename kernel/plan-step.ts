import {
  type CompiledExpression,
  type CompiledValue,
  compileBareExpression,
  compileValue,
  type NodeReference,
} from "../flows/expr/index.ts";
import type {
  BindingDecl,
  BindingType,
  Effect,
  FlowDefaults,
  Json,
  RetryPolicyDecl,
} from "../flows/ir/types.ts";
import { isStepKind } from "../flows/kinds/spec.ts";
import { lookupKind } from "./kinds/registry.ts";
import type { ConfigCompiler, KindRegistry, NodeKind } from "./kinds/types.ts";
import { withDirectPath } from "./paths.ts";
import { type RetrySettings, resolveRetry } from "./retry.ts";
import { parseDuration } from "./time.ts";

/** An input port of a step, compiled once. */
export interface InputEntry {
  readonly name: string;
  readonly value: CompiledValue;
  /** The `nodes.<id>.<port>` references of this input. */
  readonly references: readonly NodeReference[];
}

/** One unit of work, compiled: a graph node, or a kind's node template (e.g. `map`'s `node`). */
export interface CompiledStep {
  /** Node id; for a template, `<node id>.<field>` (`each.node`). */
  readonly id: string;
  readonly kindName: string;
  readonly kind: NodeKind;
  /** The kind's effect, or its template's when that is stronger. */
  readonly effect: Effect;
  /** The inputs when none holds an expression (shared, frozen), else undefined. */
  readonly constantInputs: Readonly<Record<string, unknown>> | undefined;
  readonly inputs: readonly InputEntry[];
  /** The config as written (frozen). */
  readonly staticConfig: Readonly<Record<string, Json>>;
  /** Config fields holding expressions (evaluated per run with `input` in scope). */
  readonly dynamicConfig: readonly (readonly [string, CompiledValue])[];
  /** The other config fields, copied into the evaluated config. */
  readonly staticEntries: readonly (readonly [string, Json])[];
  readonly prepared: unknown;
  readonly idempotencyKey: CompiledExpression | undefined;
  readonly retry: RetrySettings;
  readonly timeoutMs: number | undefined;
  /** Pure and deterministic: equal inputs give equal outputs, so repeats within a run can be memoised. */
  readonly memoise: boolean;
  /** Effectful or not strictly deterministic (`isStepKind`): journaled, and a durable step of its own. */
  readonly journaled: boolean;
  readonly template: CompiledTemplate | undefined;
}

export interface CompiledTemplate extends CompiledStep {
  /** The output port whose value is the template's result; undefined: the whole outputs object. */
  readonly port: string | undefined;
}

/** A plan-time problem, located by node and field. */
export interface PlanIssue {
  nodeId: string;
  path: string;
  message: string;
}

/** What compiling a step needs to know beyond the step itself. */
export interface StepSource {
  id: string;
  kind: string;
  inputs?: Record<string, Json>;
  config?: Record<string, Json>;
  retry?: RetryPolicyDecl;
  timeout?: string;
  idempotencyKey?: string;
}

export interface StepCompileContext {
  registry: KindRegistry;
  defaults: FlowDefaults;
  /** The flow's declared bindings: a kind that `needs` one gets `config.binding` filled in when it is unique. */
  bindings: Readonly<Record<string, BindingDecl>>;
  issues: PlanIssue[];
  /** Receives every node reference the step (and its template) makes. */
  references: NodeReference[];
}

const EFFECT_RANK: Readonly<Record<Effect, number>> = { pure: 0, read: 1, write: 2, external: 3 };

export const strongerEffect = (a: Effect, b: Effect): Effect => (EFFECT_RANK[a] >= EFFECT_RANK[b] ? a : b);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function frozenValue(raw: Json): CompiledValue {
  const frozen = deepFreeze(structuredClone(raw));
  return { references: [], constant: true, evaluate: () => frozen };
}

function issueMessage(issue: { offset: number; error: { message: string } }): string {
  return `${issue.error.message} (at offset ${issue.offset})`;
}

/** Compiles a bare expression field (`when`, `idempotencyKey`), recording issues and references. */
export function compileBare(
  text: string,
  nodeId: string,
  path: string,
  ctx: StepCompileContext,
): CompiledExpression | undefined {
  const { expr, issue } = compileBareExpression(text);
  if (issue || !expr) {
    ctx.issues.push({ nodeId, path, message: issue ? issueMessage(issue) : "invalid expression" });
    return undefined;
  }
  ctx.references.push(...expr.references);
  return expr;
}

function compileJson(value: Json, nodeId: string, path: string, ctx: StepCompileContext): CompiledValue {
  const { value: compiled, issues } = compileValue(value);
  for (const issue of issues) {
    const where = issue.path.length > 0 ? `${path}.${issue.path.join(".")}` : path;
    ctx.issues.push({ nodeId, path: where, message: issueMessage(issue) });
  }
  ctx.references.push(...compiled.references);
  return issues.length > 0 ? compiled : withDirectPath(value, compiled);
}

function configCompiler(nodeId: string, ctx: StepCompileContext): ConfigCompiler {
  const invalid = (path: string, message: string): never => {
    ctx.issues.push({ nodeId, path, message });
    throw new PlanAbort();
  };
  return {
    expression: (source, path) =>
      compileBare(source, nodeId, path, ctx) ?? invalid(path, "invalid expression"),
    value: (value, path) => compileJson(value, nodeId, path, ctx),
    duration: (text, path) => parseDuration(text) ?? invalid(path, `\`${text}\` is not a duration like "5s"`),
  };
}

/** Thrown inside `prepare` after an issue was recorded, to stop compiling that node. */
class PlanAbort extends Error {}

function resolveTimeout(source: StepSource, kind: NodeKind, defaults: FlowDefaults, ctx: StepCompileContext) {
  // A sleep or wait lasts as long as it says: only its own `timeout` bounds it.
  const text = kind.spec.ownStep
    ? source.timeout
    : (source.timeout ?? kind.spec.defaultTimeout ?? defaults.timeout);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined)
    ctx.issues.push({ nodeId: source.id, path: "timeout", message: `\`${text}\` is not a duration` });
  return ms;
}

/**
 * Compiles one step: its kind (UNKNOWN_KIND if absent), inputs, config expressions or `prepare`, template,
 * idempotency key, timeout (node, else kind, else flow default) and retry policy (same order, then gated by
 * the effect).
 */
export function compileStep(source: StepSource, ctx: StepCompileContext): CompiledStep {
  const kind = lookupKind(ctx.registry, source.kind);
  const spec = kind.spec;
  const id = source.id;
  const inputs: InputEntry[] = [];
  let allConstant = true;
  for (const [name, raw] of Object.entries(source.inputs ?? {})) {
    const before = ctx.references.length;
    const compiled = compileJson(raw, id, `inputs.${name}`, ctx);
    // A literal is cloned and frozen once: runs share it, and nobody can change the document through it.
    const value = compiled.constant ? frozenValue(compiled.evaluate({}) as Json) : compiled;
    inputs.push({ name, value, references: ctx.references.slice(before) });
    if (!value.constant) allConstant = false;
  }
  const constantInputs = allConstant
    ? Object.freeze(Object.fromEntries(inputs.map((e) => [e.name, e.value.evaluate({})])))
    : undefined;
  const staticConfig: Record<string, Json> = structuredClone(source.config ?? {});
  resolveBinding(kind.spec.needs, staticConfig, ctx.bindings);
  const dynamicConfig: [string, CompiledValue][] = [];
  let prepared: unknown;
  if (kind.prepare) {
    try {
      prepared = kind.prepare(deepFreeze(staticConfig), configCompiler(id, ctx));
    } catch (error) {
      if (!(error instanceof PlanAbort)) {
        ctx.issues.push({
          nodeId: id,
          path: "config",
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } else {
    for (const field of spec.expressionConfig ?? []) {
      const raw = staticConfig[field];
      if (raw === undefined) continue;
      const compiled = compileJson(raw, id, `config.${field}`, ctx);
      if (compiled.constant) staticConfig[field] = compiled.evaluate({}) as Json;
      else dynamicConfig.push([field, compiled]);
    }
    deepFreeze(staticConfig);
  }
  let template: CompiledTemplate | undefined;
  if (kind.template !== undefined) template = compileTemplate(id, kind.template, staticConfig, ctx);
  const idempotencyKey =
    source.idempotencyKey === undefined
      ? undefined
      : compileBare(source.idempotencyKey, id, "idempotencyKey", ctx);
  const effect = template ? strongerEffect(spec.effect, template.effect) : spec.effect;
  const retryDecl = source.retry ?? spec.defaultRetry ?? ctx.defaults.retry;
  const deterministic = spec.determinism === "strict" || spec.determinism === "stable";
  return {
    id,
    kindName: spec.kind,
    kind,
    effect,
    constantInputs,
    inputs,
    staticConfig,
    dynamicConfig,
    staticEntries: Object.entries(staticConfig).filter(
      ([field]) => !dynamicConfig.some(([d]) => d === field),
    ),
    prepared,
    idempotencyKey,
    retry: resolveRetry(retryDecl, effect, idempotencyKey !== undefined),
    timeoutMs: resolveTimeout(source, kind, ctx.defaults, ctx),
    memoise: effect === "pure" && deterministic && (!template || template.memoise),
    journaled: !template && isStepKind(spec),
    template,
  };
}

function compileTemplate(
  nodeId: string,
  field: string,
  config: Readonly<Record<string, Json>>,
  ctx: StepCompileContext,
): CompiledTemplate | undefined {
  const raw = config[field];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || typeof raw.kind !== "string") {
    ctx.issues.push({ nodeId, path: `config.${field}`, message: "a node template needs at least `kind`" });
    return undefined;
  }
  const step = compileStep(
    {
      id: `${nodeId}.${field}`,
      kind: raw.kind,
      inputs: raw.inputs as Record<string, Json> | undefined,
      config: raw.config as Record<string, Json> | undefined,
    },
    ctx,
  );
  const port = typeof raw.port === "string" ? raw.port : "out" in outputsOf(step) ? "out" : undefined;
  return { ...step, port };
}

function outputsOf(step: CompiledStep): Readonly<Record<string, unknown>> {
  const outputs = step.kind.spec.outputs;
  if (typeof outputs !== "function") return outputs;
  return Object.fromEntries(outputs(step.staticConfig as Record<string, Json>).map((p) => [p, {}]));
}

/**
 * A node of a kind that needs a binding may leave `config.binding` out when the flow declares exactly one
 * binding of that type: the plan fills it in, so the kind always reads `ctx.config.binding`. (The validator
 * reports the missing and ambiguous cases: FLOW_BINDING_MISSING, FLOW_BINDING_AMBIGUOUS.)
 */
function resolveBinding(
  needs: readonly BindingType[] | undefined,
  config: Record<string, Json>,
  bindings: Readonly<Record<string, BindingDecl>>,
): void {
  if (!needs || needs.length === 0 || typeof config.binding === "string") return;
  for (const type of needs) {
    const names = Object.entries(bindings)
      .filter(([, decl]) => decl.type === type)
      .map(([name]) => name);
    if (names.length === 1) {
      config.binding = names[0]!;
      return;
    }
  }
}
