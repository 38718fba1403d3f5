import { createHmac, timingSafeEqual } from "node:crypto";
import {
  createWebhookVerifyKind,
  isWebhookSignatureShape,
  type WebhookSignatureVerifier,
} from "../../capabilities/github/webhook/index.ts";
import { createRegistry, type KindRegistry } from "../../kernel/index.ts";

const PREFIX = "sha256=".length;

/**
 * The webhook signature check with `node:crypto`: the same contract as the WebCrypto one
 * (`verifyWebhookSignature`), a synchronous HMAC-SHA256 about 10× cheaper per delivery than Node's WebCrypto
 * (whose every call crosses into a thread-pool job and back), compared in constant time.
 * @example nodeWebhookSignature("It's a Secret to Everybody", [], "Hello, World!", "sha256=7571…3e17") // true
 */
export const nodeWebhookSignature: WebhookSignatureVerifier = (secret, previous, payload, signature) => {
  if (!isWebhookSignatureShape(signature) || payload.length === 0) return false;
  // The shape was checked: 64 lowercase hex digits, so the decoded MAC is exactly 32 bytes.
  const expected = Buffer.from(signature.slice(PREFIX), "hex");
  for (const candidate of [secret, ...previous]) {
    const mac = createHmac("sha256", candidate).update(payload).digest();
    if (timingSafeEqual(mac, expected)) return true;
  }
  return false;
};

/**
 * The kinds the Node host runs faster than the Workers ones, to put after a deployment's own registry:
 * `github.webhook.verify` with `nodeWebhookSignature`.
 * @example createWorker(flows, { registry: { ...myKinds, ...NODE_KINDS }, github: GITHUB_TRIGGERS })
 */
export const NODE_KINDS: KindRegistry = createRegistry(createWebhookVerifyKind(nodeWebhookSignature));
