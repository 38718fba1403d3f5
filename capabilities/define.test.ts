import { describe, expect, it } from "vitest";
import type { NodeKindSpec } from "../flows/kinds/spec.ts";
import { FlowError } from "../kernel/errors.ts";
import { BUILTIN_CAPABILITIES } from "./declarations.ts";
import { defineCapability } from "./define.ts";
import { createCapabilityRegistry } from "./registry.ts";

const spec = (kind: string): NodeKindSpec => ({
  kind,
  description: "test",
  effect: "pure",
  determinism: "stable",
  inputs: {},
  outputs: { out: {} },
  configSchema: { type: "object" },
});

const runtime = { module: "pkg/kinds", export: "KINDS" };

describe("defineCapability", () => {
  it("freezes the capability and builds FlowErrors with the defaults of its codes", () => {
    const echo = defineCapability({
      name: "echo",
      kinds: { "echo.say": spec("echo.say") },
      runtime,
      codes: { ECHO_EMPTY: { status: 422, expose: true, retriable: false } },
      wrangler: () => ({ vars: { ECHO_GREETING: "hi" } }),
    });
    expect(Object.isFrozen(echo)).toBe(true);
    expect(echo.wrangler({})).toEqual({ vars: { ECHO_GREETING: "hi" } });
    const error = echo.error("ECHO_EMPTY", "nothing to echo", { details: { n: 1 } });
    expect(error).toBeInstanceOf(FlowError);
    expect([error.code, error.status, error.expose, error.retriable]).toEqual([
      "ECHO_EMPTY",
      422,
      true,
      false,
    ]);
    expect(echo.error("ECHO_EMPTY", "again", { retriable: true }).retriable).toBe(true);
  });

  it("refuses a bad name, a spec under another kind name, a code not UPPER_SNAKE and a status outside 400-599", () => {
    expect(() => defineCapability({ name: "Echo", kinds: {}, runtime })).toThrow(
      "capability `Echo`: the name must be lowercase words separated by dots or dashes",
    );
    expect(() => defineCapability({ name: "echo", kinds: { "echo.a": spec("echo.b") }, runtime })).toThrow(
      "capability `echo`: kind `echo.a` has a spec named `echo.b`",
    );
    expect(() =>
      defineCapability({
        name: "echo",
        kinds: {},
        runtime,
        codes: { echoFailed: { status: 500, expose: false, retriable: false } },
      }),
    ).toThrow("capability `echo`: error code `echoFailed` is not UPPER_SNAKE");
    expect(() =>
      defineCapability({
        name: "echo",
        kinds: {},
        runtime,
        codes: { ECHO_OK: { status: 200, expose: false, retriable: false } },
      }),
    ).toThrow("capability `echo`: error code `ECHO_OK` has status 200, not 400-599");
    expect(() => defineCapability({ name: "echo", kinds: {}, runtime: { module: "", export: "X" } })).toThrow(
      "capability `echo`: runtime needs a module specifier and an export name",
    );
  });
});

describe("createCapabilityRegistry", () => {
  it("refuses a kind, a code or a name that a built-in capability already has", () => {
    const kv = defineCapability({ name: "kv2", kinds: { "kv.get": spec("kv.get") }, runtime });
    expect(() => createCapabilityRegistry([...BUILTIN_CAPABILITIES, kv])).toThrow(
      "node kind `kv.get` is declared by capabilities `kv` and `kv2`",
    );
    const code = defineCapability({
      name: "other",
      kinds: {},
      runtime,
      codes: { KV_FAILED: { status: 502, expose: false, retriable: true } },
    });
    expect(() => createCapabilityRegistry([...BUILTIN_CAPABILITIES, code])).toThrow(
      "error code `KV_FAILED` of capability `other` is already declared by capability `kv`",
    );
    const reserved = defineCapability({
      name: "other",
      kinds: {},
      runtime,
      codes: { TIMEOUT: { status: 504, expose: false, retriable: true } },
    });
    expect(() => createCapabilityRegistry([reserved], { TIMEOUT: {} })).toThrow(
      "error code `TIMEOUT` of capability `other` is already declared by the runtime",
    );
    const twice = defineCapability({ name: "kv", kinds: {}, runtime });
    expect(() => createCapabilityRegistry([...BUILTIN_CAPABILITIES, twice])).toThrow(
      "capability `kv` is declared twice",
    );
  });
});
