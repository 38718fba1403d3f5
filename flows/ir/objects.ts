/**
 * The Durable Object classes a flows Worker exports: `FlowsState`, the generic object of user state (the `do.*`
 * kinds), and `FlowsRuntime`, the runtime's own (idempotency ledger, journals). A `durableObject` binding names
 * one of them.
 */
export const STATE_CLASS = "FlowsState";
export const RUNTIME_CLASS = "FlowsRuntime";
export const OBJECT_CLASSES: readonly string[] = [STATE_CLASS, RUNTIME_CLASS];
