import type { KindCatalog, NodeKindSpec } from "../flows/kinds/spec.ts";
import type { Capability, CapabilityCodeSpec } from "./define.ts";

/**
 * A set of capabilities, checked once: what the validator's catalog, the error-code table, the packager and
 * `flows new` read. Built-in and third-party capabilities go through the same `createCapabilityRegistry`.
 */
export interface CapabilityRegistry {
  /** The capabilities, in order (built-ins first). */
  readonly capabilities: readonly Capability[];
  /** Every capability's kind specs merged. */
  readonly catalog: KindCatalog;
  /** Every capability's error codes merged. */
  readonly codes: Readonly<Record<string, CapabilityCodeSpec>>;
  /** The capability that declares a kind. */
  owner(kind: string): Capability | undefined;
}

/**
 * Merges capabilities. Throws when two declare one name, one kind, or one error code (or a code of `reserved`,
 * the codes the runtime already has): a package cannot silently replace another's kind or code.
 * @example createCapabilityRegistry([...BUILTIN_CAPABILITIES, echo])
 */
export function createCapabilityRegistry(
  capabilities: readonly Capability[],
  reserved: Readonly<Record<string, unknown>> = {},
): CapabilityRegistry {
  const names = new Set<string>();
  const catalog: Record<string, NodeKindSpec> = {};
  const owners = new Map<string, Capability>();
  const codes: Record<string, CapabilityCodeSpec> = {};
  const codeOwner = new Map<string, string>();
  for (const capability of capabilities) {
    if (names.has(capability.name)) throw new Error(`capability \`${capability.name}\` is declared twice`);
    names.add(capability.name);
    for (const [kind, spec] of Object.entries(capability.kinds)) {
      const other = owners.get(kind);
      if (other) {
        throw new Error(
          `node kind \`${kind}\` is declared by capabilities \`${other.name}\` and \`${capability.name}\``,
        );
      }
      owners.set(kind, capability);
      catalog[kind] = spec;
    }
    for (const [code, spec] of Object.entries(capability.codes)) {
      const owner = codeOwner.get(code);
      const other = owner
        ? `capability \`${owner}\``
        : Object.hasOwn(reserved, code)
          ? "the runtime"
          : undefined;
      if (other) {
        throw new Error(
          `error code \`${code}\` of capability \`${capability.name}\` is already declared by ${other}`,
        );
      }
      codeOwner.set(code, capability.name);
      codes[code] = spec;
    }
  }
  return Object.freeze({
    capabilities: Object.freeze([...capabilities]),
    catalog: Object.freeze(catalog),
    codes: Object.freeze(codes),
    owner: (kind: string) => owners.get(kind),
  });
}
