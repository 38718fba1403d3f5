import { createExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GITHUB_WEBHOOK_KINDS } from "../../capabilities/github/webhook/index.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

// One log line per failed run: the host's run line reports the failure, so the kernel does not log the failing
// node as well (a flood of bad webhooks would otherwise write two lines per request).

const SECRET = "run-log-test-secret";

const labelFlow: FlowDocument = {
  flows: 1,
  id: "label-issue",
  version: "1.0.0",
  bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" } },
  triggers: [{ type: "github", events: ["issues.opened"] }],
  nodes: [{ id: "label", kind: "transform", inputs: { title: "${{ trigger.payload.issue.title }}" } }],
};

const boom: NodeKind = {
  spec: {
    kind: "test.boom",
    description: "Throws an unexpected error (not a FlowError).",
    effect: "pure",
    determinism: "strict",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: () => {
    throw new Error("wires crossed");
  },
};

const boomFlow: FlowDocument = {
  flows: 1,
  id: "boom",
  version: "1.0.0",
  triggers: [{ type: "http", method: "POST", path: "/boom" }],
  nodes: [{ id: "explode", kind: "test.boom" }],
};

/** Every line the worker writes: its sink and the console (where the kernel's default logger goes). */
function capture() {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  const sink = (line: Record<string, unknown>) => lines.push(JSON.stringify(line));
  return { lines, sink };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("run log lines", () => {
  it("logs a webhook with a bad signature once, in one short line without the payload", async () => {
    const { lines, sink } = capture();
    const worker = createWorker([labelFlow], {
      registry: createRegistry(BUILTIN_KINDS, GITHUB_WEBHOOK_KINDS),
      log: sink,
      runtimeBinding: false,
    });
    const marker = `payload-marker-${crypto.randomUUID()}`;
    const body = JSON.stringify({ action: "opened", issue: { title: marker, body: "x".repeat(5000) } });
    for (let i = 0; i < 5; i++) {
      const response = await worker.fetch(
        new Request("http://x/api/github/webhooks", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "issues",
            "x-github-delivery": crypto.randomUUID(),
            "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
          },
          body,
        }),
        { GITHUB_WEBHOOK_SECRET: SECRET },
        createExecutionContext(),
      );
      expect(response.status).toBe(401);
      await response.arrayBuffer();
    }
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line.length).toBeLessThan(400);
      expect(line).not.toContain(marker);
      expect(line).not.toContain("xxxx");
      expect(line).not.toContain(String(body.length));
      expect(line).not.toContain(SECRET);
      expect(JSON.parse(line)).toMatchObject({ message: "flow run", status: "failed", nodeId: "verify" });
    }
  });

  it("logs an unexpected node failure once: the run line carries its cause", async () => {
    const { lines, sink } = capture();
    const worker = createWorker([boomFlow], { registry: createRegistry(BUILTIN_KINDS, boom), log: sink });
    const response = await worker.fetch(
      new Request("http://x/boom", { method: "POST" }),
      {},
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      status: "failed",
      errorCode: "INTERNAL",
      nodeId: "explode",
      cause: "Error: wires crossed",
    });
  });

  it("still logs the node failure when the caller does not log runs (invoke)", async () => {
    const { lines, sink } = capture();
    const worker = createWorker([boomFlow], { registry: createRegistry(BUILTIN_KINDS, boom), log: sink });
    const result = await worker.invoke("boom", {});
    expect(result.status).toBe("failed");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("wires crossed");
  });
});
