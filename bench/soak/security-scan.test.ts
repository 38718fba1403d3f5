import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateFlows } from "../../flows/index.ts";
import { BUILTIN_KIND_SPECS } from "../../kernel/kinds/specs.ts";
import { type ServedExample, SOAK_ADMIN_TOKEN, SOAK_WEBHOOK_SECRET, serveExampleWorker } from "./bad-http.ts";
import {
  type Capture,
  captureBundle,
  captureGithubKinds,
  captureServedWebhooks,
  findSecrets,
} from "./security-scan.ts";

const TOKEN = "ghp_testPersonalToken0123456789abcdefXYZ";

describe("secrets never leave in logs, envelopes, SSE frames or bundles", () => {
  it("the scanner finds a secret however it is embedded (the control of the tests below)", () => {
    const capture: Capture = {
      texts: [
        { source: "log", text: `{"message":"x","secret":"${SOAK_WEBHOOK_SECRET}"}` },
        { source: "event", text: JSON.stringify({ key: "-----BEGIN\nline\n" }) },
      ],
      notes: [],
    };
    expect(findSecrets(capture, [SOAK_WEBHOOK_SECRET])).toHaveLength(1);
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${"A".repeat(64)}\n${"B".repeat(64)}\n-----END RSA PRIVATE KEY-----`;
    expect(
      findSecrets({ texts: [{ source: "log", text: `k=${"B".repeat(64)}` }], notes: [] }, [pem]),
    ).toHaveLength(1);
  });

  it("the served GitHub example: 100 deliveries (signed, wrongly signed, unsigned, tampered) and a viewer SSE run", async () => {
    const capture = await captureServedWebhooks();
    expect(capture.notes[0]).toMatch(/20 × 200, 80 × 401/);
    expect(capture.texts.some((t) => t.source === "sse" && t.text.includes("event:"))).toBe(true);
    expect(capture.texts.find((t) => t.source === "log")!.text.length).toBeGreaterThan(1000);
    expect(findSecrets(capture, [SOAK_WEBHOOK_SECRET, SOAK_ADMIN_TOKEN])).toEqual([]);
  }, 90_000);

  it("github.* with a personal token and with App auth (private key), one call refused: nothing in logs, events, envelope", async () => {
    const { capture, privateKey } = await captureGithubKinds(TOKEN);
    // The credentials were used (GitHub saw them), so their absence below means something.
    expect(capture.notes[0]).toMatch(/token used: true, App JWT used: true/);
    expect(capture.notes[0]).toMatch(/GITHUB_AUTH_FAILED/);
    expect(findSecrets(capture, [TOKEN, privateKey])).toEqual([]);
  });

  it("a packaged Worker holds none of the secrets of the .dev.vars next to its flows", async () => {
    const { privateKey } = await captureGithubKinds(TOKEN);
    const capture = await captureBundle({
      GITHUB_WEBHOOK_SECRET: SOAK_WEBHOOK_SECRET,
      GITHUB_TOKEN: TOKEN,
      GITHUB_PRIVATE_KEY: privateKey,
    });
    expect(capture.texts.map((t) => t.source).sort()).toContain("bundle worker.js");
    expect(findSecrets(capture, [SOAK_WEBHOOK_SECRET, TOKEN, privateKey])).toEqual([]);
    // The bundle verifies signatures with WebCrypto's HMAC verify, which compares in constant time (never a string
    // comparison with ===).
    const bundle = capture.texts.find((t) => t.source === "bundle worker.js")!.text;
    expect(bundle).toMatch(/crypto\.subtle\.verify\(\s*"HMAC"/);
  }, 60_000);
});

describe("route parameters and ids cannot leave their namespace in storage keys", () => {
  let served: ServedExample;
  beforeAll(async () => {
    served = await serveExampleWorker(undefined, { handleStructuredLogs: () => {} });
  }, 60_000);
  afterAll(async () => {
    await served?.dispose();
  });

  it("`../` and encoded separators in a route parameter stay inside the flow's key prefix, verbatim", async () => {
    const names = ["..%2F..%2Fsecret", "%2e%2e%2fuploads%2fx", "a%5c..%5cb", "..", "%2F", "x%00y"];
    const answers: number[] = [];
    for (const name of names) {
      const response = await fetch(new URL(`/files/${name}`, served.url), {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: "data",
      });
      answers.push(response.status);
      await response.arrayBuffer();
    }
    const bucket = await served.mf.getR2Bucket("FLOW_BUCKET");
    const keys = (await bucket.list()).objects.map((o: { key: string }) => o.key);
    // Every stored key is `files/` + the decoded parameter: no normalisation, so `..` and `/` are plain characters
    // of one key under `files/` (R2 and KV keys are flat strings; nothing resolves `..`).
    for (const key of keys) expect(key.startsWith("files/")).toBe(true);
    const stored = names.filter((_, i) => answers[i]! < 300).map((n) => `files/${decodeURIComponent(n)}`);
    expect(stored.length).toBeGreaterThan(0);
    for (const key of stored) expect(keys).toContain(key);
    expect(keys.some((k: string) => k.startsWith("uploads/") || k === "secret")).toBe(false);
  }, 60_000);

  it("flow and node ids, the fixed prefix of ledger and journal keys, cannot hold a separator", () => {
    const flow = (id: string, node: string): string =>
      `flows: 1\nid: "${id}"\nversion: 1.0.0\ntriggers: [{ type: http, method: POST, path: /x }]\nnodes: [{ id: "${node}", kind: transform, config: { value: 1 } }]\n`;
    for (const [id, node] of [
      ["a:b", "n"],
      ["../x", "n"],
      ["a/b", "n"],
      ["ok", "a:b"],
      ["ok", "x/y"],
      ["ok", "../n"],
    ] as const) {
      const result = validateFlows([{ file: "f.yaml", text: flow(id, node) }], BUILTIN_KIND_SPECS);
      expect(result.ok).toBe(false);
    }
    // The ledger key is `<flowId>:<nodeId>:<idempotency key>`: only its last part comes from data.
    const lifecycle = readFileSync(
      join(import.meta.dirname, "..", "..", "kernel", "node-lifecycle.ts"),
      "utf8",
    );
    expect(lifecycle).toContain("key: `${run.flowId}:${ctx.nodeId}:${ctx.idempotencyKey}`");
  });
});
