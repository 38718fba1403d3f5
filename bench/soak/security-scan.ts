import "../../flows/expr/cel-eager.ts";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GITHUB_KINDS } from "../../capabilities/github/index.ts";
import { FakeGitHub, jsonResponse, pkcs1KeyPair } from "../../capabilities/github/testing.ts";
import { packageWorkers } from "../../cli/package/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createPlan, createRegistry, runFlow, toEnvelope } from "../../kernel/index.ts";
import { SOAK_ADMIN_TOKEN, SOAK_WEBHOOK_SECRET, serveExampleWorker } from "./bad-http.ts";
import type { SoakSection } from "./run.ts";

/**
 * Security review, secrets: runs flows that use every kind of secret (the webhook secret of the served GitHub
 * example; a personal token and an App private key for `github.*` against the GitHub stand-in), captures every
 * log line, response body and header, run event (what the viewer streams as SSE) and error envelope, and the files
 * of a packaged Worker whose directory holds a `.dev.vars` with a secret, and scans all of it for the secret values.
 */

const ROOT = join(import.meta.dirname, "..", "..");

export interface Capture {
  /** What was scanned, by source (`log`, `response`, `sse`, `event`, `envelope`, `bundle`). */
  texts: { source: string; text: string }[];
  /** Figures for the report. */
  notes: string[];
}

/** Every place a secret (or a recognisable piece of it) appears. */
export function findSecrets(capture: Capture, secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    // The whole value, and for a PEM key its base64 body lines (a key logged without its armour is still a leak).
    const needles = secret.includes("-----BEGIN")
      ? secret.split("\n").filter((line) => line.length >= 40 && !line.startsWith("-----"))
      : [secret];
    for (const { source, text } of capture.texts) {
      for (const needle of needles) {
        if (text.includes(needle)) found.push(`${source}: contains a secret (${needle.slice(0, 6)}…)`);
        // JSON-escaped, as a secret inside a serialized string would appear.
        const escaped = JSON.stringify(needle).slice(1, -1);
        if (escaped !== needle && text.includes(escaped)) found.push(`${source}: contains an escaped secret`);
      }
    }
  }
  return found;
}

async function hmac(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The served GitHub example: signed, badly signed and unsigned deliveries; a viewer run followed over SSE. */
export async function captureServedWebhooks(): Promise<Capture> {
  const output: string[] = [];
  // Every console line of the worker, as workerd reports it (structured logs), instead of printing it.
  const served = await serveExampleWorker(undefined, {
    handleStructuredLogs: (log: { level: string; message: string }) => output.push(`${log.message}\n`),
  });
  const texts: Capture["texts"] = [];
  const statuses = new Map<number, number>();
  try {
    const deliver = async (body: string, signature: string | undefined, id: string): Promise<void> => {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": id,
      };
      if (signature) headers["x-hub-signature-256"] = signature;
      const response = await fetch(new URL("/api/github/webhooks", served.url), {
        method: "POST",
        headers,
        body,
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      texts.push({
        source: `response ${response.status}`,
        text: `${JSON.stringify([...response.headers])}\n${await response.text()}`,
      });
    };
    for (let i = 0; i < 20; i++) {
      const body = JSON.stringify({
        action: "opened",
        issue: { number: i, title: `t${i}`, user: { login: "ada" } },
        repository: { full_name: "octo/hello" },
        installation: { id: 7 },
      });
      await deliver(body, await hmac(SOAK_WEBHOOK_SECRET, body), `good-${i}`);
      await deliver(body, await hmac(`${SOAK_WEBHOOK_SECRET}x`, body), `wrong-${i}`);
      await deliver(body, `sha256=${"0".repeat(64)}`, `zero-${i}`);
      await deliver(body, undefined, `none-${i}`);
      await deliver(`${body.slice(0, -1)},"x":1}`, await hmac(SOAK_WEBHOOK_SECRET, body), `tampered-${i}`);
    }
    // A run started from the viewer and followed over its SSE stream (the frames a browser would get).
    const viewer = { authorization: `Bearer ${SOAK_ADMIN_TOKEN}` };
    const start = await fetch(new URL("/_flows/api/flows/github-issue-opened/runs", served.url), {
      method: "POST",
      headers: { "content-type": "application/json", ...viewer },
      body: JSON.stringify({
        trigger: {
          payload: {
            action: "opened",
            issue: { number: 99, title: "x", user: { login: "b" } },
            repository: { full_name: "o/r" },
          },
        },
      }),
    });
    const started = (await start.json()) as { events?: string };
    let frames = 0;
    if (started.events) {
      const sse = await fetch(new URL(started.events, served.url), {
        headers: viewer,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await sse.text();
      frames = text.split("\n\n").filter((f) => f.trim()).length;
      texts.push({ source: "sse", text });
    }
    // Give the log pipe a moment to deliver the last lines.
    await new Promise((resolve) => setTimeout(resolve, 300));
    texts.push({ source: "log", text: output.join("") });
    const logLines = output
      .join("")
      .split("\n")
      .filter((l) => l.trim()).length;
    return {
      texts,
      notes: [
        `served webhook: ${[...statuses].map(([s, n]) => `${n} × ${s}`).join(", ")}; ${logLines} log lines; ${frames} SSE frames`,
      ],
    };
  } finally {
    await served.dispose();
  }
}

/** `github.*` with a personal token and with App auth (a private key), against the stand-in; one call fails. */
export async function captureGithubKinds(token: string): Promise<{ capture: Capture; privateKey: string }> {
  const { pem } = await pkcs1KeyPair();
  const gh = new FakeGitHub();
  gh.verifyJwt = async () => true;
  gh.on("GET /repos/{owner}/{repo}/issues/{n}", () => jsonResponse(200, { number: 1, title: "t" }));
  gh.on("POST /repos/{owner}/{repo}/issues/{n}/comments", () => jsonResponse(201, { id: 1 }));
  gh.on("GET /repos/{owner}/{repo}/pulls/{n}", () => jsonResponse(401, { message: "Bad credentials" }));
  const doc = {
    flows: 1,
    id: "secrets",
    version: "1.0.0",
    triggers: [{ type: "http", method: "POST", path: "/s" }],
    nodes: [
      {
        id: "issue",
        kind: "github.request",
        inputs: { params: { owner: "octo", repo: "hello", n: 1 } },
        config: { route: "GET /repos/{owner}/{repo}/issues/{n}", baseUrl: gh.base },
      },
      {
        id: "comment",
        kind: "github.comment",
        after: ["issue"],
        inputs: { owner: "octo", repo: "hello", issue_number: 1, body: "hi", installationId: 7 },
        config: { baseUrl: gh.base },
      },
      {
        id: "denied",
        kind: "github.request",
        after: ["comment"],
        inputs: { params: { owner: "octo", repo: "hello", n: 2 } },
        config: { route: "GET /repos/{owner}/{repo}/pulls/{n}", baseUrl: gh.base },
      },
    ],
  } as unknown as FlowDocument;
  const plan = createPlan(doc, { registry: createRegistry(BUILTIN_KINDS, GITHUB_KINDS) });
  const texts: Capture["texts"] = [];
  const logs: string[] = [];
  const events: unknown[] = [];
  const result = await runFlow(plan, {
    trigger: {},
    env: { GITHUB_TOKEN: token, GITHUB_APP_ID: "42", GITHUB_PRIVATE_KEY: pem },
    fetch: gh.fetch as typeof fetch,
    logger: { log: (level, message, fields) => logs.push(JSON.stringify({ level, message, ...fields })) },
    onEvent: (event: unknown) => events.push(event),
  } as Parameters<typeof runFlow>[1]);
  texts.push({ source: "log", text: logs.join("\n") });
  texts.push({ source: "event", text: JSON.stringify(events) });
  texts.push({ source: "envelope", text: JSON.stringify(toEnvelope(result.error, result.runId)) });
  texts.push({ source: "output", text: JSON.stringify(result.output ?? null) });
  // What GitHub received must carry the credentials (else the scan above proves nothing).
  const authorizations = gh.calls.map((c) => c.headers.authorization ?? "");
  const usedToken = authorizations.some((a) => a === `token ${token}`);
  const usedApp = authorizations.some((a) => a.startsWith("Bearer "));
  return {
    privateKey: pem,
    capture: {
      texts,
      notes: [
        `github.*: run ${result.status} (${result.error?.code ?? "no error"}), ${gh.calls.length} calls (token used: ${usedToken}, App JWT used: ${usedApp}), ${logs.length} log lines, ${events.length} events`,
      ],
    },
  };
}

/** Packages the GitHub example from a directory that also holds a `.dev.vars` with the secrets; reads every file. */
export async function captureBundle(secrets: Record<string, string>): Promise<Capture> {
  const dir = await mkdtemp(join(tmpdir(), "flows-secrets-"));
  try {
    const src = join(dir, "github-app");
    await cp(join(ROOT, "examples", "github-app"), src, {
      recursive: true,
      filter: (p) => !p.endsWith(".test.ts"),
    });
    await writeFile(
      join(src, ".dev.vars"),
      Object.entries(secrets)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join("\n"),
    );
    const out = join(dir, "out");
    const result = await packageWorkers([src], { out });
    if (!result.ok) throw new Error("the GitHub example did not validate");
    const texts: Capture["texts"] = [];
    for (const name of await readdir(out))
      texts.push({ source: `bundle ${name}`, text: await readFile(join(out, name), "utf8") });
    return {
      texts,
      notes: [
        `bundle: ${texts.length} files, ${Math.round(texts.reduce((n, t) => n + t.text.length, 0) / 1024)} KiB scanned`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const securitySection: SoakSection = {
  name: "Security: secrets in logs, envelopes, SSE and bundles",
  async run(print) {
    const token = "ghp_soakPersonalToken0123456789abcdefXYZ";
    const served = await captureServedWebhooks();
    const github = await captureGithubKinds(token);
    const bundled = await captureBundle({
      GITHUB_WEBHOOK_SECRET: SOAK_WEBHOOK_SECRET,
      GITHUB_TOKEN: token,
      GITHUB_PRIVATE_KEY: github.privateKey,
    });
    const secrets = [SOAK_WEBHOOK_SECRET, token, github.privateKey];
    let found: string[] = [];
    for (const capture of [served, github.capture, bundled]) {
      for (const note of capture.notes) print(note);
      found = found.concat(findSecrets(capture, secrets));
    }
    const scanned = [served, github.capture, bundled].reduce(
      (n, c) => n + c.texts.reduce((m, t) => m + t.text.length, 0),
      0,
    );
    print(`scanned ${Math.round(scanned / 1024)} KiB for 3 secrets: ${found.length} findings`);
    for (const f of found.slice(0, 10)) print(`leak: ${f}`);
    return found.length === 0;
  },
};
