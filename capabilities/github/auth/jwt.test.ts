import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pkcs1KeyPair, verifyJwt } from "../testing.ts";
import { appJwt, pkcs1ToPkcs8Der, toPkcs8 } from "./jwt.ts";

const derOf = (pem: string) =>
  Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");

describe("GitHub App JWT (RS256 through WebCrypto)", () => {
  const node = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "der" },
  });

  it("converts a PKCS#1 key to exactly the PKCS#8 DER that OpenSSL (node:crypto) produces", () => {
    expect(node.privateKey).toContain("BEGIN RSA PRIVATE KEY");
    const expected = createPrivateKey(node.privateKey).export({ type: "pkcs8", format: "der" });
    expect(Buffer.from(pkcs1ToPkcs8Der(derOf(node.privateKey))).equals(expected)).toBe(true);
    expect(derOf(toPkcs8(node.privateKey)).equals(expected)).toBe(true);
  });

  it("signs with a node:crypto PKCS#1 key a JWT that verifies with the public key, with GitHub's claims", async () => {
    const publicKey = await crypto.subtle.importKey(
      "spki",
      node.publicKey,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const { token, expiration } = await appJwt("12345", node.privateKey, 1_800_000_000);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ alg: "RS256", typ: "JWT" });
    expect(await verifyJwt(token, publicKey)).toEqual({
      iat: 1_800_000_000 - 30,
      exp: 1_800_000_000 - 30 + 600,
      iss: "12345",
    });
    expect(expiration).toBe(1_800_000_000 - 30 + 600);
  });

  it("accepts PKCS#8, escaped newlines (one-line secrets) and CRLF; a tampered JWT does not verify", async () => {
    const { pem, publicKey } = await pkcs1KeyPair();
    const pkcs8 = toPkcs8(pem);
    expect(pkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(toPkcs8(pkcs8)).toBe(pkcs8);
    expect(toPkcs8(pem.replaceAll("\n", "\\n"))).toBe(pkcs8);
    expect(toPkcs8(pem.replaceAll("\n", "\r\n"))).toBe(pkcs8);
    for (const key of [pem, pkcs8, pem.replaceAll("\n", "\\n")]) {
      const { token } = await appJwt("7", key, 1_700_000_000);
      expect((await verifyJwt(token, publicKey))?.iss).toBe("7");
      const [h, p, s] = token.split(".");
      const forged = Buffer.from(JSON.stringify({ iat: 1, exp: 2, iss: "7" })).toString("base64url");
      expect(await verifyJwt(`${h}.${forged}.${s}`, publicKey)).toBeNull();
      expect(p).not.toBe(forged);
    }
  });

  it("refuses a value that is not a PEM RSA key without repeating it", () => {
    const secret = "ghp_not_a_key_at_all";
    expect(() => toPkcs8(secret)).toThrow(TypeError);
    try {
      toPkcs8(secret);
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });
});
