// What a user writes against the package: every public entry, strictly typed.

import { ALL_CAPABILITY_KINDS } from "flows-runtime/capabilities";
import { DO_KINDS } from "flows-runtime/capabilities/durable-objects";
import { GITHUB_KINDS } from "flows-runtime/capabilities/github";
import { HTTP_KINDS } from "flows-runtime/capabilities/http";
import { KV_KINDS } from "flows-runtime/capabilities/kv";
import { QUEUES_KINDS } from "flows-runtime/capabilities/queues";
import { R2_KINDS } from "flows-runtime/capabilities/r2";
import { type FlowDocument, loadFlowSource, validateFlows } from "flows-runtime/flows";
import { createWorker, type WorkerOptions } from "flows-runtime/hosts/workers";
import { FlowsRuntime, FlowsState } from "flows-runtime/hosts/workers/objects";
import {
  BUILTIN_KIND_SPECS,
  BUILTIN_KINDS,
  createPlan,
  createRegistry,
  FlowError,
  type KindRegistry,
  type NodeKind,
  type RunEvent,
  runFlow,
} from "flows-runtime/kernel";
import { runKind } from "flows-runtime/testing";

const source = `flows: 1
id: hello
version: 1.0.0
triggers:
  - type: http
    method: POST
    path: /hello
nodes:
  - id: reply
    kind: respond
    inputs:
      body: \${{ trigger.body }}
`;

const loaded = loadFlowSource(source, "hello.yaml");
const { ok, flows, diagnostics } = validateFlows([{ file: "hello.yaml", text: source }], BUILTIN_KIND_SPECS);
if (!ok) throw new FlowError("INTERNAL", JSON.stringify(diagnostics));
const documents: FlowDocument[] = flows.map((f) => f.document);

const shout: NodeKind = {
  spec: { ...BUILTIN_KIND_SPECS.transform!, kind: "shout" },
  run: async (ctx) => ({ out: String(ctx.inputs.text ?? "").toUpperCase() }),
};
const registry: KindRegistry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS, shout);
void [KV_KINDS, R2_KINDS, QUEUES_KINDS, DO_KINDS, GITHUB_KINDS, HTTP_KINDS, shout, loaded];

const options: WorkerOptions = { registry };
export default createWorker(documents, options);
export { FlowsRuntime, FlowsState };

export async function direct(signal: AbortSignal): Promise<unknown> {
  const events: RunEvent[] = [];
  const result = await runFlow(createPlan(documents[0]!, { registry }), {
    trigger: { body: { name: "Ada" } },
    signal,
    onEvent: (event) => events.push(event),
  });
  return result.status === "ok" ? result.output : result.error?.toJSON();
}

export const tested = (): Promise<unknown> =>
  runKind(registry, "transform", { env: {}, inputs: { text: "x" } });
