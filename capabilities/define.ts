import type { BindingDecl, BindingType, TriggerDecl } from "../flows/ir/types.ts";
import type { KindCatalog } from "../flows/kinds/spec.ts";
import type { FlowError } from "../kernel/errors.ts";
import type { CapabilityDeclaration, WranglerFragment } from "./declaration.ts";
import { errorWithDefaults } from "./error.ts";

/**
 * `defineCapability`: the one way to declare a capability, for the built-in ones and for a package published
 * by anyone else. This module is pure (no `env`, no `cloudflare:*`): the CLI imports it in Node. The run-time
 * half (the kinds' `run` functions) is named by `runtime`, a module specifier the packaged Worker imports.
 */

/** One error code a capability raises: its HTTP status, whether a client sees the message, whether a retry helps. */
export interface CapabilityCodeSpec {
  readonly status: number;
  readonly expose: boolean;
  readonly retriable: boolean;
  /** One sentence: when the code is raised (shown by docs and the error table). */
  readonly doc?: string;
}

/** What a capability author writes. */
export interface CapabilityInput<C extends string = string> {
  /** Unique name, also the prefix of its kinds by convention: `kv`, `echo`, `acme.search`. */
  name: string;
  /** The kind specs (pure data), keyed by kind name. */
  kinds: KindCatalog;
  /**
   * The run-time half: a module specifier (`"my-capability/kinds"`) and the name of its export, a
   * KindRegistry (`createRegistry(...)` of the kinds with their `run` functions). The packaged Worker's entry
   * imports it by this specifier; `flows run` imports it in Node.
   */
  runtime: { module: string; export: string };
  /** The flow binding type its kinds use (`kv`, `r2`, `var`, `secret`...), when they use one. */
  bindingType?: BindingType;
  /** Error codes its kinds raise, UPPER_SNAKE, each in no other capability. */
  codes?: Readonly<Record<C, CapabilityCodeSpec>>;
  /**
   * The wrangler configuration the flows' bindings (and triggers) need; called when a flow uses one of `kinds`.
   * Any wrangler section is kept (`vars`, `d1_databases`...).
   */
  wrangler?: (
    bindings: Readonly<Record<string, BindingDecl>>,
    triggers?: readonly TriggerDecl[],
  ) => WranglerFragment;
  /** Where its documentation is (a URL or a package-relative file): printed by `flows` next to its kinds. */
  docs?: string;
}

/** A defined capability: its declaration plus `error()`, which builds a FlowError with a code's defaults. */
export interface Capability<C extends string = string> extends CapabilityDeclaration {
  readonly runtime: { readonly module: string; readonly export: string };
  readonly codes: Readonly<Record<C, CapabilityCodeSpec>>;
  readonly docs?: string;
  /** A FlowError of one of its codes (status, expose, retriable from `codes`; `retriable` may be overridden). */
  error(
    code: C,
    message: string,
    options?: { details?: unknown; cause?: unknown; retriable?: boolean },
  ): FlowError;
}

const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const CODE = /^[A-Z][A-Z0-9_]*$/;

/**
 * Checks and freezes a capability. Throws (at import, so a broken package fails loudly) on a bad name, a kind
 * whose spec names another kind, a code that is not UPPER_SNAKE, a status outside 400-599, or a runtime
 * without module or export.
 * @example
 * export const ECHO = defineCapability({
 *   name: "echo",
 *   kinds: { "echo.say": saySpec },
 *   runtime: { module: "flows-capability-echo/kinds", export: "ECHO_KINDS" },
 *   codes: { ECHO_REFUSED: { status: 422, expose: true, retriable: false } },
 *   wrangler: () => ({ vars: { ECHO_PREFIX: "echo: " } }),
 * });
 */
export function defineCapability<const C extends string = never>(input: CapabilityInput<C>): Capability<C> {
  const where = `capability \`${input.name}\``;
  if (typeof input.name !== "string" || !NAME.test(input.name)) {
    throw new Error(`${where}: the name must be lowercase words separated by dots or dashes`);
  }
  for (const [kind, spec] of Object.entries(input.kinds ?? {})) {
    if (spec?.kind !== kind) throw new Error(`${where}: kind \`${kind}\` has a spec named \`${spec?.kind}\``);
  }
  if (!input.runtime?.module || !input.runtime.export) {
    throw new Error(`${where}: runtime needs a module specifier and an export name`);
  }
  const codes = (input.codes ?? {}) as Record<C, CapabilityCodeSpec>;
  for (const [code, spec] of Object.entries<CapabilityCodeSpec>(codes)) {
    if (!CODE.test(code)) throw new Error(`${where}: error code \`${code}\` is not UPPER_SNAKE`);
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) {
      throw new Error(`${where}: error code \`${code}\` has status ${spec.status}, not 400-599`);
    }
  }
  const wrangler = input.wrangler ?? (() => ({}));
  const capability: Capability<C> = {
    name: input.name,
    kinds: Object.freeze({ ...input.kinds }),
    runtime: Object.freeze({ module: input.runtime.module, export: input.runtime.export }),
    ...(input.bindingType ? { bindingType: input.bindingType } : {}),
    codes: Object.freeze({ ...codes }),
    ...(input.docs ? { docs: input.docs } : {}),
    wrangler: (bindings, triggers) => wrangler(bindings, triggers),
    error(code, message, options = {}) {
      const spec = Object.hasOwn(codes, code) ? codes[code] : undefined;
      if (!spec) throw new Error(`${where} has no error code \`${code}\``);
      return errorWithDefaults(code, spec, message, options);
    },
  };
  return Object.freeze(capability);
}
