import { describe, expect, it } from "vitest";
import { BUILTIN_KINDS, createPlan, createRegistry, runFlow } from "../../../kernel/index.ts";
import { webhookAnswer } from "./answer.ts";
import { GITHUB_WEBHOOK_KINDS } from "./index.ts";

const event = { event: "issues", name: "issues.opened", deliveryId: "d1" };
const ping = { event: "ping", name: "ping", deliveryId: "p1" };
const duplicate = { "x-flows-duplicate": "true" };

describe("webhookAnswer", () => {
  it("answers each outcome of the webhook flow", () => {
    const cases: [Record<string, unknown>, number, Record<string, string>, unknown][] = [
      [{ event: ping }, 200, {}, { ok: true, event: "ping", deliveryId: "p1" }],
      [{ event, duplicate: "d1" }, 200, duplicate, { ok: true, duplicate: true, deliveryId: "d1" }],
      [{ event, repeated: "d1" }, 200, duplicate, { ok: true, duplicate: true, deliveryId: "d1" }],
      [
        { event, queued: "d1" },
        202,
        duplicate,
        { ok: true, duplicate: true, deliveryId: "d1", queued: true },
      ],
      [
        { event, sent: { id: "m" }, deferred: "k" },
        202,
        {},
        { ok: true, event: "issues.opened", deliveryId: "d1", queued: true },
      ],
      [
        { event, ran: { flows: ["a", "b"] } },
        200,
        {},
        { ok: true, event: "issues.opened", deliveryId: "d1", queued: false, flows: ["a", "b"] },
      ],
      [
        { event, dispatched: { flows: ["c"] }, completed: "k" },
        200,
        {},
        { ok: true, event: "issues.opened", deliveryId: "d1", queued: false, flows: ["c"] },
      ],
      [
        { event, ran: { flows: [] } },
        200,
        {},
        { ok: true, event: "issues.opened", deliveryId: "d1", queued: false, flows: [] },
      ],
    ];
    for (const [outcome, status, headers, body] of cases)
      expect(webhookAnswer(outcome), JSON.stringify(outcome)).toEqual({ status, headers, body });
  });

  it("tells a port that ran with no value from one that did not run", () => {
    expect(webhookAnswer({ event, duplicate: null }).headers).toEqual(duplicate);
    expect(webhookAnswer({ event, ran: { flows: ["a"] } }).headers).toEqual({});
  });

  it("is a join: it answers with the inputs of the nodes that ran", async () => {
    const registry = createRegistry(BUILTIN_KINDS, GITHUB_WEBHOOK_KINDS);
    const plan = createPlan(
      {
        flows: 1,
        id: "a",
        version: "1.0.0",
        triggers: [],
        nodes: [
          { id: "parse", kind: "transform", config: { value: event } },
          { id: "check", kind: "condition", config: { when: "false" } },
          { id: "claim", kind: "transform", inputs: { x: "${{ nodes.check.then }}" }, config: { value: 1 } },
          {
            id: "answer",
            kind: "github.webhook.answer",
            inputs: { event: "${{ nodes.parse.out }}", duplicate: "${{ nodes.claim.out }}" },
          },
          {
            id: "reply",
            kind: "respond",
            inputs: {
              status: "${{ nodes.answer.status }}",
              headers: "${{ nodes.answer.headers }}",
              body: "${{ nodes.answer.body }}",
            },
          },
        ],
        output: "reply",
      },
      { registry },
    );
    const result = await runFlow(plan, {});
    expect(result.status).toBe("ok");
    expect(result.output).toEqual({
      status: 200,
      headers: {},
      body: { ok: true, event: "issues.opened", deliveryId: "d1", queued: false, flows: [] },
    });
  });
});
