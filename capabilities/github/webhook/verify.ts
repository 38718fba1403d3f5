import { isJsonMediaType } from "../../../flows/units/media-type.ts";
import { FlowError, type NodeContext, type NodeKind } from "../../../kernel/index.ts";
import { capabilityError } from "../../codes.ts";
import {
  DEFAULT_WEBHOOK_SECRET,
  GITHUB_WEBHOOK_KIND_SPECS,
  KIND_GITHUB_WEBHOOK_VERIFY,
  PREVIOUS_SECRET_SUFFIX,
} from "./declaration.ts";

/** The headers every delivery carries, besides the signature. */
export const REQUIRED_WEBHOOK_HEADERS = Object.freeze(["x-github-event", "x-github-delivery"] as const);

/** The only signature shape GitHub sends: anything else is refused before any HMAC is computed. */
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/** Header lookup in a plain record (the trigger's headers, lower-case names) or a Headers object. */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (typeof headers !== "object" || headers === null) return undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** The required delivery headers that are missing or empty, in order. */
export function missingWebhookHeaders(headers: unknown): string[] {
  return REQUIRED_WEBHOOK_HEADERS.filter((name) => !headerOf(headers, name));
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The body as text, byte for byte (a BOM is kept, so the HMAC still covers the exact bytes). */
export function bodyText(body: unknown): string | undefined {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return decoder.decode(body);
  if (body instanceof ArrayBuffer) return decoder.decode(new Uint8Array(body));
  if (body === null || body === undefined) return "";
  return undefined;
}

const encoder = new TextEncoder();

/** Imported HMAC keys by secret: importing costs more than verifying a small delivery, and secrets are few. */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 8;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    keys.set(secret, key);
    // A failed import is not kept: the next delivery tries again.
    key.catch(() => keys.delete(secret));
  }
  return key;
}

/** A lowercase hex digit's value (the signature's shape was checked: only 0-9 and a-f reach here). */
const nibble = (code: number): number => (code <= 57 ? code - 48 : code - 87);

/** The bytes of the hex digits of `text` from `from` on: char codes, no substrings (5× cheaper than parseInt). */
function hexBytes(text: string, from: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((text.length - from) / 2);
  for (let i = 0, j = from; i < out.length; i++, j += 2)
    out[i] = (nibble(text.charCodeAt(j)) << 4) | nibble(text.charCodeAt(j + 1));
  return out;
}

/**
 * Verifies `signature` (the `X-Hub-Signature-256` value) over the payload's exact bytes with `secret`, or any of
 * `previous` (secret rotation): WebCrypto's HMAC verify (constant time) with the key imported once per secret. The
 * shape is checked first: a malformed or missing signature is `false`, never a thrown error.
 * @example await verifyWebhookSignature("It's a Secret to Everybody", [], "Hello, World!", "sha256=7571…3e17") // true
 */
export async function verifyWebhookSignature(
  secret: string,
  previous: readonly string[],
  payload: string | Uint8Array,
  signature: string | undefined,
): Promise<boolean> {
  if (!signature || !SIGNATURE.test(signature) || payload.length === 0) return false;
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const mac = hexBytes(signature, "sha256=".length);
  for (const candidate of [secret, ...previous]) {
    // A view over a SharedArrayBuffer never reaches here (bodies are read into plain buffers).
    if (await crypto.subtle.verify("HMAC", await hmacKey(candidate), mac, bytes as BufferSource)) return true;
  }
  return false;
}

function secretOf(ctx: NodeContext, name: string, required: boolean): string | undefined {
  const value = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (typeof value === "string" && value !== "") return value;
  if (!required) return undefined;
  throw capabilityError(
    "BINDING_MISSING",
    `secret \`${name}\` is missing from env: set it with \`wrangler secret put ${name}\` (locally: a line ${name}=... in .dev.vars)`,
    { details: { binding: name, section: "secrets", nodeId: ctx.nodeId } },
  );
}

/**
 * Verifies a delivery's signature: `verifyWebhookSignature`'s contract (true only for a well-formed signature that
 * matches the exact bytes under `secret` or one of `previous`; never throws for a bad signature). A host whose
 * platform has a faster HMAC than WebCrypto's (Node's `node:crypto`) passes its own to `createWebhookVerifyKind`.
 */
export type WebhookSignatureVerifier = (
  secret: string,
  previous: readonly string[],
  payload: string | Uint8Array,
  signature: string | undefined,
) => boolean | Promise<boolean>;

/** The signature's shape GitHub sends, for verifiers of other hosts (checked before any HMAC). */
export const isWebhookSignatureShape = (signature: string | undefined): signature is string =>
  signature !== undefined && SIGNATURE.test(signature);

/**
 * `github.webhook.verify`: headers (400), content type (415), then the signature over the raw bytes (401), with
 * `verify` (WebCrypto's by default).
 * @example createRegistry(createWebhookVerifyKind(nodeVerifier)) // overrides the kind in a Node host's registry
 */
export function createWebhookVerifyKind(verify: WebhookSignatureVerifier = verifyWebhookSignature): NodeKind {
  return {
    spec: GITHUB_WEBHOOK_KIND_SPECS[KIND_GITHUB_WEBHOOK_VERIFY]!,
    // Not async: a verifier that answers at once (Node's) leaves the node synchronous, so the kernel arms no
    // timeout for it; WebCrypto's answer is awaited.
    run: (ctx) => {
      const headers = ctx.inputs.headers;
      const missing = missingWebhookHeaders(headers);
      if (missing.length > 0) {
        throw capabilityError(
          "GITHUB_WEBHOOK_HEADERS_MISSING",
          `webhook delivery is missing the header${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
          { details: { missing } },
        );
      }
      const contentType = headerOf(headers, "content-type");
      if (!isJsonMediaType(contentType)) {
        throw new FlowError(
          "UNSUPPORTED_MEDIA_TYPE",
          `webhook deliveries must be sent as application/json, got ${contentType ? contentType.split(";")[0] : "no content type"}: set the webhook's content type to application/json on GitHub`,
          { status: 415, expose: true, details: { contentType: contentType ?? null } },
        );
      }
      const name = typeof ctx.config.secret === "string" ? ctx.config.secret : DEFAULT_WEBHOOK_SECRET;
      const secret = secretOf(ctx, name, true)!;
      const previous = secretOf(ctx, `${name}${PREVIOUS_SECRET_SUFFIX}`, false);
      const body = ctx.inputs.body;
      const text = bodyText(body);
      // No `ctx.signal` check here: nothing can have aborted this attempt before its `run` is called (the kernel
      // starts no node once the run stops), the HMAC does not block, and an attempt aborted meanwhile has its result
      // dropped by the kernel; asking for the signal would create an AbortController per delivery for nothing.
      const signature = headerOf(headers, "x-hub-signature-256");
      // The HMAC covers the bytes as received: a byte body is verified as it is, not re-encoded from its text.
      const payload =
        body instanceof Uint8Array ? body : body instanceof ArrayBuffer ? new Uint8Array(body) : text;
      const verdict =
        text !== undefined &&
        payload !== undefined &&
        verify(secret, previous ? [previous] : [], payload, signature);
      const settle = (ok: boolean): { out: string } => {
        if (!ok) throw signatureInvalid(signature);
        return { out: text! };
      };
      return typeof verdict === "boolean" ? settle(verdict) : verdict.then(settle);
    },
  };
}

function signatureInvalid(signature: string | undefined): FlowError {
  const why = !signature
    ? "has no X-Hub-Signature-256 header"
    : SIGNATURE.test(signature)
      ? "has a signature that does not match the body"
      : "has a malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)";
  return capabilityError("GITHUB_WEBHOOK_SIGNATURE_INVALID", `webhook delivery ${why}`);
}

/** `github.webhook.verify` with WebCrypto's HMAC. */
export const githubWebhookVerifyKind: NodeKind = createWebhookVerifyKind();
