import githubAppJwt from "universal-github-app-jwt";

/**
 * GitHub App JWTs (RS256), signed through WebCrypto by `universal-github-app-jwt`. That library imports only
 * PKCS#8 keys in a Worker (WebCrypto has no PKCS#1 import), while GitHub issues PKCS#1 keys
 * (`BEGIN RSA PRIVATE KEY`): `toPkcs8` wraps a PKCS#1 key's DER in a PKCS#8 PrivateKeyInfo first (pure byte
 * work, no Node crypto), so both formats work everywhere.
 */

const PKCS1 = /-----BEGIN RSA PRIVATE KEY-----([\s\S]*?)-----END RSA PRIVATE KEY-----/;
const PKCS8 = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/;

/** The AlgorithmIdentifier of rsaEncryption (OID 1.2.840.113549.1.1.1, NULL parameters), DER-encoded. */
const RSA_ALGORITHM = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/** A DER length: short form below 128, else 0x8n followed by n big-endian bytes. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text.replace(/[^A-Za-z0-9+/=]/g, ""));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * PKCS#1 `RSAPrivateKey` DER → PKCS#8 `PrivateKeyInfo` DER:
 * SEQUENCE { INTEGER 0, AlgorithmIdentifier rsaEncryption, OCTET STRING { the PKCS#1 DER } }.
 */
export function pkcs1ToPkcs8Der(pkcs1: Uint8Array): Uint8Array {
  const octet = [0x04, ...derLength(pkcs1.length)];
  const inner = 3 + RSA_ALGORITHM.length + octet.length + pkcs1.length;
  const head = [0x30, ...derLength(inner), 0x02, 0x01, 0x00, ...RSA_ALGORITHM, ...octet];
  const out = new Uint8Array(head.length + pkcs1.length);
  out.set(head, 0);
  out.set(pkcs1, head.length);
  return out;
}

/**
 * A PEM private key as PKCS#8 PEM with `\n` line ends: PKCS#8 as it is, PKCS#1 converted. Escaped `\n` (keys
 * pasted into one-line secrets) and `\r\n` are accepted. Throws a TypeError (without the key) for anything else.
 * @example toPkcs8(env.GITHUB_PRIVATE_KEY) // "-----BEGIN PRIVATE KEY-----\nMIIE…"
 */
export function toPkcs8(pem: string): string {
  const text = pem.replace(/\\n/g, "\n").replace(/\r\n?/g, "\n");
  const pkcs8 = PKCS8.exec(text);
  const der = pkcs8 ? base64ToBytes(pkcs8[1]!) : undefined;
  const pkcs1 = der ? undefined : PKCS1.exec(text);
  if (!der && !pkcs1)
    throw new TypeError("the private key is not a PEM RSA key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)");
  const body = bytesToBase64(der ?? pkcs1ToPkcs8Der(base64ToBytes(pkcs1![1]!)));
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

export interface AppJwt {
  token: string;
  /** Seconds since the epoch. */
  expiration: number;
}

/**
 * A JWT for GitHub App `appId`: `iat` 30 s in the past (clock drift), `exp` 10 minutes after `iat`, `iss` the
 * App id, signed RS256 with the App's private key (PKCS#1 or PKCS#8 PEM).
 */
export async function appJwt(appId: string, privateKey: string, nowSeconds: number): Promise<AppJwt> {
  const { token, expiration } = await githubAppJwt({
    id: appId,
    privateKey: toPkcs8(privateKey),
    now: nowSeconds,
  });
  return { token, expiration };
}
