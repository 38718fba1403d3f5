import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { BUILTIN_KINDS, createRegistry, type NodeKind } from "../../kernel/index.ts";
import { createWorker } from "./index.ts";

// Probe kinds, run inside workerd: `ticks` streams chunks; `hang` waits until its signal aborts and records it.
const aborted: { runId: string; reason: string }[] = [];

const ticks: NodeKind = {
  spec: {
    kind: "test.ticks",
    description: "Yields `count` chunks, 5 ms apart.",
    effect: "pure",
    determinism: "strict",
    inputs: { count: { required: true } },
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    (async function* () {
      for (let i = 0; i < Number(ctx.inputs.count); i++) {
        await ctx.sleep(5);
        yield { tick: i };
      }
    })(),
};

const hang: NodeKind = {
  spec: {
    kind: "test.hang",
    description: "Waits for its signal to abort.",
    effect: "pure",
    determinism: "strict",
    inputs: {},
    outputs: { out: {} },
    configSchema: { type: "object" },
  },
  run: (ctx) =>
    new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        aborted.push({ runId: ctx.runId, reason: String(ctx.signal.reason?.message ?? ctx.signal.reason) });
        reject(ctx.signal.reason);
      });
    }),
};

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "ticker",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/ticks", response: "sse" }],
    nodes: [{ id: "tick", kind: "test.ticks", inputs: { count: "${{ int(trigger.query.n) }}" } }],
  },
  {
    flows: 1,
    id: "hanger",
    version: "1.0.0",
    triggers: [{ type: "http", method: "GET", path: "/hang", response: "sse" }],
    nodes: [{ id: "wait", kind: "test.hang", timeout: "60s" }],
  },
];

const worker = createWorker(flows, {
  registry: createRegistry(BUILTIN_KINDS, ticks, hang),
  heartbeatMs: 20,
  log: () => {},
});

interface WireEvent {
  event?: string;
  id?: string;
  data?: string;
}

function parseSse(text: string): WireEvent[] {
  return text
    .split("\n\n")
    .map((block) => {
      const event: WireEvent = {};
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event.event = line.slice(7);
        else if (line.startsWith("id: ")) event.id = line.slice(4);
        else if (line.startsWith("data: "))
          event.data = (event.data === undefined ? "" : `${event.data}\n`) + line.slice(6);
      }
      return event;
    })
    .filter((e) => e.event !== undefined);
}

describe("Workers host: SSE", () => {
  it("streams every run event with an id, the node's chunks in order, and a final end event", async () => {
    const response = await worker.fetch(new Request("http://x/ticks?n=3"), env, createExecutionContext());
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(await response.text());
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("run.start");
    expect(types.at(-2)).toBe("run.end");
    expect(types.at(-1)).toBe("end");
    const chunks = events.filter((e) => e.event === "node.chunk").map((e) => JSON.parse(e.data!).chunk);
    expect(chunks).toEqual([{ tick: 0 }, { tick: 1 }, { tick: 2 }]);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  it("delivers events while the run is still going (read chunk by chunk, not buffered)", async () => {
    const response = await worker.fetch(new Request("http://x/ticks?n=4"), env, createExecutionContext());
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunksBeforeRunEnd = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!text.includes("event: run.end")) chunksBeforeRunEnd = text.split("event: node.chunk").length - 1;
    }
    // Each tick is 5 ms apart: the client saw chunk events before the run's end event was even produced.
    expect(chunksBeforeRunEnd).toBeGreaterThanOrEqual(3);
  });

  it("cancels the run when the client cancels the response stream: the in-flight node sees its signal abort", async () => {
    const response = await worker.fetch(new Request("http://x/hang"), env, createExecutionContext());
    const runId = response.headers.get("x-flow-run-id")!;
    const reader = response.body!.getReader();
    await reader.read(); // the stream is open and the run has started
    expect(aborted.find((a) => a.runId === runId)).toBeUndefined();
    await reader.cancel("client went away");
    await vi.waitFor(() => expect(aborted.find((a) => a.runId === runId)).toBeDefined());
  });

  it("cancels the run when the request signal aborts (client disconnect with enable_request_signal)", async () => {
    const controller = new AbortController();
    const response = await worker.fetch(
      new Request("http://x/hang", { signal: controller.signal }),
      env,
      createExecutionContext(),
    );
    const runId = response.headers.get("x-flow-run-id")!;
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort(new Error("client disconnected"));
    await vi.waitFor(() => expect(aborted.find((a) => a.runId === runId)).toBeDefined());
    // The stream still ends, with an error event carrying the envelope.
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const last = parseSse(text).at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data!).error.code).toBe("RUN_CANCELLED");
  });

  it("sends heartbeat comments during long gaps", async () => {
    const response = await worker.fetch(new Request("http://x/hang"), env, createExecutionContext());
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes(": heartbeat")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain(": heartbeat\n\n");
  });
});
