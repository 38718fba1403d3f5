import type { FlowDocument } from "../../flows/ir/types.ts";

/**
 * The flows of the webhook bench workers (`flows-github.ts` on workerd, `bench/peers/node-host-server.ts` on the
 * Node host): one user flow on `issues.opened` through the built-in webhook flow (verify, parse, match, claim in
 * the FlowsRuntime ledger, dispatch, complete) at `POST /api/github/webhooks`, picking a label from the issue
 * title as `hono-github-app.ts` does; and a trivial `GET /floor`.
 */
export const githubFlows: FlowDocument[] = [
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
