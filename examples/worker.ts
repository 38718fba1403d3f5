import { ALL_CAPABILITY_KINDS } from "../capabilities/index.ts";
import { validateFlows } from "../flows/validate/index.ts";
import { createWorker } from "../hosts/workers/index.ts";
import { BUILTIN_KINDS, catalogOf, createRegistry } from "../kernel/index.ts";
import { EXAMPLE_SOURCES } from "./sources.ts";

/**
 * The example flows served on workerd (`npm start`), with the built-in kinds and every capability's. The flows are validated inside the worker, with the
 * build-time compiled validators: a worker cannot generate code, so this also proves none is generated.
 */
const registry = createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS);
const catalog = catalogOf(registry);
const validation = validateFlows(EXAMPLE_SOURCES, catalog);
if (!validation.ok) {
  const lines = validation.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
  throw new Error(`example flows are invalid:\n${lines.join("\n")}`);
}

// The run viewer at /_flows/: its page and API need the bearer token in the FLOWS_ADMIN_TOKEN secret.
const worker = createWorker(
  validation.flows.map((f) => f.document),
  { registry, viewer: true },
);

// A development aid: validate a posted flow file against this worker's node kinds, at request time.
worker.app.post("/_flows/validate", async (c) => {
  const file = c.req.query("file") ?? "posted.yaml";
  const result = validateFlows([{ file, text: await c.req.text() }], catalog);
  return c.json({ ok: result.ok, diagnostics: result.diagnostics }, result.ok ? 200 : 422);
});

export default worker;
// Durable Object classes bound in wrangler.toml: the runtime's own object, the state object of `do.*`, the run store,
// the shared GitHub rate budget; and the Workflow class of the durable flows.
export {
  FlowsGitHubBudget,
  FlowsRuns,
  FlowsRuntime,
  FlowsState,
  FlowsWorkflow,
} from "../hosts/workers/objects.ts";
