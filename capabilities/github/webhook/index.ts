/**
 * GitHub webhooks: the node kinds of the built-in webhook flow (`flows/builtin/github-webhook.yaml`).
 * @example createRegistry(BUILTIN_KINDS, GITHUB_WEBHOOK_KINDS)
 */
export * from "./declaration.ts";
export {
  eventMatches,
  type GithubTriggerEvent,
  matchRoutes,
  parseWebhook,
  type WebhookEvent,
  type WebhookRoute,
  type WebhookTarget,
} from "./event.ts";
export { GITHUB_WEBHOOK_KINDS } from "./kinds.ts";
export { DEFAULT_DELIVERY_TTL_MS, deliveryKey } from "./ledger.ts";
export {
  bodyText,
  createWebhookVerifyKind,
  isWebhookSignatureShape,
  missingWebhookHeaders,
  REQUIRED_WEBHOOK_HEADERS,
  verifyWebhookSignature,
  type WebhookSignatureVerifier,
} from "./verify.ts";
