import { env, exports } from "cloudflare:workers";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it, vi } from "vitest";

// GitHub deliveries with `ack: queue` end to end in workerd: the webhook flow, the real local queue and its
// consumer (the built-in consumer flow), the dead-letter queue and the FlowsRuntime ledger (worker.ts).

const SECRET = "flows-test-webhook-secret";
const kv = env.FLOW_KV as KVNamespace;

interface Answer {
  status: number;
  duplicate: string | null;
  body: Record<string, unknown>;
}

async function deliver(id: string, payload: Record<string, unknown>): Promise<Answer> {
  const body = JSON.stringify({ action: "opened", issue: { number: 1 }, ...payload });
  const response = await exports.default.fetch("http://flows.test/api/github/webhooks", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": id,
      "x-hub-signature-256": await sign(SECRET, body),
    },
    body,
  });
  return {
    status: response.status,
    duplicate: response.headers.get("x-flows-duplicate"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const count = async (key: string): Promise<number> => Number((await kv.get(key)) ?? "0");

describe("GitHub deliveries with ack: queue, through the real local queue", () => {
  it("runs each delivery once despite injected consumer failures and redeliveries, and dead-letters the one that keeps failing with its delivery id", async () => {
    const ok = crypto.randomUUID(); // runs at the first attempt
    const flaky = crypto.randomUUID(); // on-issue fails once, then succeeds on the queue's retry
    const broken = crypto.randomUUID(); // on-issue fails at every attempt: dead-lettered
    const payloads: Record<string, Record<string, unknown>> = {
      [ok]: { fail: 0 },
      [flaky]: { fail: 1 },
      [broken]: { fail: 99 },
    };
    for (const [id, payload] of Object.entries(payloads)) {
      const first = await deliver(id, payload);
      expect(first).toEqual({
        status: 202,
        duplicate: null,
        body: { ok: true, event: "issues.opened", deliveryId: id, queued: true },
      });
      // GitHub's redelivery of a delivery that is queued (or, if the consumer was quick, done) is not queued again.
      const again = await deliver(id, payload);
      expect(again.duplicate).toBe("true");
      expect([
        { status: 202, body: { ok: true, duplicate: true, deliveryId: id, queued: true } },
        { status: 200, body: { ok: true, duplicate: true, deliveryId: id } },
      ]).toContainEqual({ status: again.status, body: again.body });
    }
    // The broken delivery can never be done: its redelivery is answered 202 queued, not done.
    expect(await deliver(broken, payloads[broken]!)).toEqual({
      status: 202,
      duplicate: "true",
      body: { ok: true, duplicate: true, deliveryId: broken, queued: true },
    });

    const dead = await vi.waitFor(
      async () => {
        expect(await count(`ran:on-issue:${ok}`)).toBe(1);
        expect(await count(`ran:on-issue:${flaky}`)).toBe(1);
        const text = await kv.get(`dead:${broken}`);
        expect(text).not.toBeNull();
        return JSON.parse(text!) as { key: string; event: { deliveryId: string; name: string } };
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(dead.key).toBe(`github-delivery:${broken}`);
    expect(dead.event).toMatchObject({ deliveryId: broken, name: "issues.opened" });

    // Once run from the queue, a redelivery is answered as done.
    for (const id of [ok, flaky]) {
      expect(await deliver(id, payloads[id]!)).toEqual({
        status: 200,
        duplicate: "true",
        body: { ok: true, duplicate: true, deliveryId: id },
      });
    }
    // 0 lost, 0 run twice: one run per flow and delivery; the audit flow of the flaky delivery succeeded at its
    // first attempt and was replayed from the run journal, not run again, when the message was retried.
    expect(await count(`attempts:on-issue:${flaky}`)).toBe(2);
    expect(await count(`attempts:on-issue:${broken}`)).toBe(2); // max_retries 1: two attempts, then the DLQ
    for (const id of [ok, flaky, broken]) {
      expect(await count(`ran:on-issue-audit:${id}`)).toBe(1);
      expect(await count(`attempts:on-issue-audit:${id}`)).toBe(1);
    }
    expect(await count(`ran:on-issue:${broken}`)).toBe(0);
  }, 60_000);
});
