import { ALL_CAPABILITY_KINDS } from "../../capabilities/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { benchEnv } from "./memory-ledger.ts";

/**
 * Bench worker for `bench/github.ts`: the flows runtime serving one user flow on `issues.opened` through the
 * built-in webhook flow (verify, parse, match, claim in the FlowsRuntime ledger, dispatch, complete) at
 * `POST /api/github/webhooks`. The routed flow picks a label from the issue title, as `hono-github.ts` does.
 */
const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "label-issue",
    version: "1.0.0",
    bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
    triggers: [{ type: "github", events: ["issues.opened"] }],
    nodes: [
      {
        id: "label",
        kind: "transform",
        inputs: {
          title: "${{ trigger.payload.issue.title }}",
          number: "${{ trigger.payload.issue.number }}",
        },
        config: {
          value: "${{ { 'issue': input.number, 'label': input.title.contains('bug') ? 'bug' : 'triage' } }}",
        },
      },
    ],
    output: "label",
  },
  {
    // The floor: a trivial route, to tell the host's fixed cost per request from the webhook flow's.
    flows: 1,
    id: "floor",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/floor" }],
    nodes: [{ id: "reply", kind: "respond", inputs: { body: "ok" } }],
  },
];

const worker = createWorker(flows, {
  registry: createRegistry(BUILTIN_KINDS, ALL_CAPABILITY_KINDS),
  log: () => {},
});

export default {
  fetch: (request: Request, env: object, ctx: ExecutionContext) =>
    worker.fetch(request, benchEnv(request, env), ctx),
};
export { FlowsRuntime } from "../../hosts/workers/objects.ts";
