import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../capabilities/github/webhook/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";
import { GITHUB_TRIGGERS } from "../workers/github.ts";
import { type Bindings, createWorker } from "../workers/index.ts";
import { memoryRuntimeNamespace } from "../workers/memory-runtime.ts";
import { serveOnNode } from "./index.ts";
import { NODE_KINDS, nodeWebhookSignature } from "./webhook-signature.ts";

const SECRET = "It's a Secret to Everybody";
const encoder = new TextEncoder();

describe("the Node host's webhook signature check", () => {
  it("agrees with the WebCrypto check on GitHub's example, and on good, bad, malformed and missing signatures", async () => {
    // GitHub's documented example (docs.github.com, "Validating webhook deliveries").
    const example = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(nodeWebhookSignature(SECRET, [], "Hello, World!", example)).toBe(true);
    const payload = JSON.stringify({ action: "opened", issue: { number: 1, title: "ünïcödé ✓" } });
    const good = await sign(SECRET, payload);
    const flipped = `${good.slice(0, -1)}${good.endsWith("0") ? "1" : "0"}`;
    const cases: [string | Uint8Array, string | undefined][] = [
      [payload, good],
      [encoder.encode(payload), good],
      [`${payload} `, good],
      [payload, flipped],
      [payload, good.toUpperCase()],
      [payload, good.replace("sha256=", "sha1=")],
      [payload, `${good}00`],
      [payload, undefined],
      [payload, ""],
      ["", good],
    ];
    for (const [body, signature] of cases) {
      const expected = await verifyWebhookSignature(SECRET, [], body, signature);
      expect(nodeWebhookSignature(SECRET, [], body, signature), String(signature)).toBe(expected);
    }
    expect(
      cases.filter(([body, signature]) => nodeWebhookSignature(SECRET, [], body, signature)),
    ).toHaveLength(2);
  });

  it("accepts a delivery signed with the previous secret while it rotates, and nothing else", async () => {
    const payload = '{"zen":"Keep it logically awesome."}';
    const old = await sign("old-secret", payload);
    expect(nodeWebhookSignature(SECRET, ["old-secret"], payload, old)).toBe(true);
    expect(nodeWebhookSignature(SECRET, [], payload, old)).toBe(false);
    expect(nodeWebhookSignature(SECRET, ["another"], payload, old)).toBe(false);
  });

  it("verifies deliveries served by the Node host with NODE_KINDS: 200 signed, 401 otherwise", async () => {
    const flow: FlowDocument = {
      flows: 1,
      id: "triage",
      version: "1.0.0",
      bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
      triggers: [{ type: "github", events: ["issues.opened"] }],
      nodes: [{ id: "pick", kind: "transform", config: { value: "${{ trigger.payload.issue.number }}" } }],
      output: "pick",
    };
    const env = {
      GITHUB_WEBHOOK_SECRET: SECRET,
      FLOWS_RUNTIME: memoryRuntimeNamespace(),
    };
    const worker = createWorker([flow], {
      registry: createRegistry(BUILTIN_KINDS, NODE_KINDS),
      github: GITHUB_TRIGGERS,
      log: () => {},
    });
    const server = await serveOnNode(worker, { port: 0, env: env as unknown as Bindings });
    try {
      const body = JSON.stringify({ action: "opened", issue: { number: 7 } });
      const deliver = async (signature: string) => {
        const response = await fetch(`${server.url}/api/github/webhooks`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": crypto.randomUUID(),
            "x-hub-signature-256": signature,
          },
          body,
        });
        return { status: response.status, text: await response.text() };
      };
      const signed = await deliver(await sign(SECRET, body));
      expect(signed.status, signed.text).toBe(200);
      const forged = await deliver(await sign("not the secret", body));
      expect(forged.status).toBe(401);
      expect(forged.text).toContain("GITHUB_WEBHOOK_SIGNATURE_INVALID");
    } finally {
      await server.close();
    }
  });
});
