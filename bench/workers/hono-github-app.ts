import { verifyWithFallback } from "@octokit/webhooks-methods";
import { Hono } from "hono";
import { durableLedger, type RuntimeNamespace } from "../../capabilities/durable-objects/runtime-client.ts";

/**
 * Hand-written baseline for `bench/worker-cost.ts` and `bench/github.ts` (served by `hono-github.ts` on workerd,
 * by `bench/peers/node-host-server.ts` on Node): the same wire work as the built-in webhook flow, in plain Hono.
 * Checks the headers (400), the content type (415), the signature's shape and then `verifyWithFallback` over the
 * raw body (401), parses, answers `ping`, claims the delivery id in the same FlowsRuntime idempotency ledger
 * (a duplicate: 200 + `x-flows-duplicate: true`), routes `issues.opened` to a handler, completes the claim, 200.
 */
export type Env = {
  GITHUB_WEBHOOK_SECRET: string;
  GITHUB_WEBHOOK_SECRET_PREVIOUS?: string;
  FLOWS_RUNTIME: RuntimeNamespace;
};

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const LIMIT = 25 * 1024 * 1024;

type Payload = { action?: string; issue?: { title: string; number: number } };
const handlers: Record<string, (payload: Payload) => unknown> = {
  "issues.opened": (payload) => ({
    issue: payload.issue?.number,
    label: payload.issue?.title.includes("bug") ? "bug" : "triage",
  }),
};

export const app = new Hono<{ Bindings: Env }>();

// The floor: what workerd spends on any request here (Miniflare's entry worker, HTTP, a Hono route), for context.
app.get("/floor", (c) => c.text("ok"));

app.post("/api/github/webhooks", async (c) => {
  const event = c.req.header("x-github-event");
  const deliveryId = c.req.header("x-github-delivery");
  const missing = [event ? null : "x-github-event", deliveryId ? null : "x-github-delivery"].filter(Boolean);
  if (missing.length > 0) return c.json({ error: { code: "GITHUB_WEBHOOK_HEADERS_MISSING", missing } }, 400);
  if (!/^application\/json\b/.test(c.req.header("content-type") ?? ""))
    return c.json({ error: { code: "UNSUPPORTED_MEDIA_TYPE" } }, 415);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > LIMIT) return c.json({ error: { code: "BODY_TOO_LARGE" } }, 413);
  const text = decoder.decode(bytes);
  const signature = c.req.header("x-hub-signature-256") ?? "";
  const previous = c.env.GITHUB_WEBHOOK_SECRET_PREVIOUS ? [c.env.GITHUB_WEBHOOK_SECRET_PREVIOUS] : undefined;
  if (
    !SIGNATURE.test(signature) ||
    !(await verifyWithFallback(c.env.GITHUB_WEBHOOK_SECRET, text, signature, previous))
  )
    return c.json({ error: { code: "GITHUB_WEBHOOK_SIGNATURE_INVALID" } }, 401);
  let payload: Payload;
  try {
    payload = JSON.parse(text) as Payload;
  } catch {
    return c.json({ error: { code: "BODY_INVALID_JSON" } }, 400);
  }
  if (event === "ping") return c.json({ ok: true, event: "ping", deliveryId });
  const name = payload.action ? `${event}.${payload.action}` : event!;
  const ledger = durableLedger(c.env.FLOWS_RUNTIME);
  const key = `github-delivery:${deliveryId}`;
  const claim = await ledger.claim(key, 24 * 60 * 60 * 1000, 30_000);
  if (claim.state === "done") {
    c.header("x-flows-duplicate", "true");
    return c.json({ ok: true, duplicate: true, deliveryId });
  }
  if (claim.state === "pending") return c.json({ error: { code: "IDEMPOTENCY_PENDING" } }, 409);
  const handler = handlers[name];
  const flows = handler ? ["label-issue"] : [];
  const outputs = handler ? { "label-issue": handler(payload) } : {};
  await ledger.complete(key, { result: { dispatched: flows, outputs } });
  return c.json({ ok: true, event: name, deliveryId, queued: false, flows });
});
