import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAPABILITY_CATALOGS } from "../../capabilities/declarations.ts";
import {
  builtinFlowDocument,
  GITHUB_WEBHOOK_FLOW_FILE,
  GITHUB_WEBHOOK_QUEUE_FLOW_FILE,
} from "../../flows/builtin/index.ts";
import { builtinFlowSources } from "../../flows/builtin/sources.ts";
import type { FlowDocument, GithubTrigger } from "../../flows/ir/types.ts";
import { validateFlows } from "../../flows/validate/index.ts";
import { BUILTIN_KIND_SPECS } from "../../kernel/index.ts";
import { createFlowSet as createBaseFlowSet, type FlowSet } from "./flow-set.ts";
import { GITHUB_TRIGGERS, githubEndpoints, githubWebhookDocuments, webhookRegistry } from "./github.ts";

const createFlowSet = (documents: FlowDocument[]): FlowSet =>
  createBaseFlowSet(documents, undefined, GITHUB_TRIGGERS);

const catalog = Object.assign({}, BUILTIN_KIND_SPECS, ...CAPABILITY_CATALOGS);
const WEBHOOK_FILES = [GITHUB_WEBHOOK_FLOW_FILE, GITHUB_WEBHOOK_QUEUE_FLOW_FILE];

const user = (
  id: string,
  trigger: Partial<GithubTrigger> = {},
  extra: Partial<FlowDocument> = {},
): FlowDocument => ({
  flows: 1,
  id,
  version: "1.0.0",
  bindings: { GITHUB_WEBHOOK_SECRET: { type: "secret" }, HOOKS: { type: "queue", queue: "hooks" } },
  triggers: [{ type: "github", events: ["issues.opened"], ...trigger }],
  nodes: [{ id: "a", kind: "transform" }],
  ...extra,
});

describe("the built-in GitHub webhook flows", () => {
  it("are valid flows for the full catalog, and the embedded text is the file's (npm run build is current)", () => {
    const sources = builtinFlowSources().filter((s) => WEBHOOK_FILES.includes(s.file));
    expect(sources.map((s) => s.file).sort()).toEqual([...WEBHOOK_FILES].sort());
    for (const source of sources) {
      expect(source.text).toBe(readFileSync(new URL(`../../${source.file}`, import.meta.url), "utf8"));
    }
    const result = validateFlows(sources, catalog);
    expect(result.diagnostics).toEqual([]);
  });

  it("give a fresh copy each time", () => {
    const a = builtinFlowDocument(GITHUB_WEBHOOK_FLOW_FILE);
    a.id = "changed";
    expect(builtinFlowDocument(GITHUB_WEBHOOK_FLOW_FILE).id).toBe("github-webhook");
    expect(() => builtinFlowDocument("flows/builtin/nope.yaml")).toThrow(/no built-in flow/);
  });

  it("instances stay valid flows once adapted to a deployment (path, secret, routes, queue)", () => {
    const docs = githubWebhookDocuments([
      user(
        "on-issues",
        { path: "/hooks", secret: "HOOK_SECRET", ack: "queue", queue: "HOOKS" },
        {
          bindings: { HOOK_SECRET: { type: "secret" }, HOOKS: { type: "queue", queue: "hooks" } },
        },
      ),
      user("on-pr", { events: ["pull_request.*"] }),
    ]);
    expect(docs.map((d) => d.id)).toEqual(["github-webhook", "github-webhook-queue", "github-webhook-2"]);
    const result = validateFlows(
      docs.map((d) => ({ file: `${d.id}.json`, text: JSON.stringify(d) })),
      catalog,
    );
    expect(result.diagnostics).toEqual([]);
    const [hooks, consumer, main] = docs;
    expect(hooks!.triggers).toEqual([
      expect.objectContaining({ type: "http", path: "/hooks", body: "raw", maxBodySize: "25mb" }),
    ]);
    expect(hooks!.bindings?.ROUTES).toMatchObject({
      type: "var",
      value: [{ flow: "on-issues", trigger: "github", events: ["issues.opened"] }],
    });
    expect(hooks!.bindings?.ACK).toMatchObject({ type: "var", value: "queue" });
    expect(hooks!.bindings?.HOOK_SECRET).toMatchObject({ type: "secret" });
    expect(hooks!.bindings?.HOOKS).toEqual({ type: "queue", queue: "hooks" });
    expect(hooks!.nodes.find((n) => n.id === "verify")?.config).toEqual({ secret: "HOOK_SECRET" });
    expect(hooks!.nodes.find((n) => n.id === "enqueue")?.config).toEqual({ binding: "HOOKS" });
    expect(consumer!.triggers).toEqual([{ type: "queue", queue: "hooks", deadLetterQueue: "hooks-dlq" }]);
    expect(Object.keys(consumer!.bindings ?? {}).sort()).toEqual(["FLOWS_RUNTIME", "HOOKS"]);
    expect(main!.triggers).toEqual([expect.objectContaining({ path: "/api/github/webhooks" })]);
  });
});

describe("githubEndpoints", () => {
  it("groups GitHub triggers by path, in flow order, with their trigger ids", () => {
    const endpoints = githubEndpoints([
      user("a"),
      user(
        "b",
        {},
        {
          triggers: [
            { type: "github", events: ["push"] },
            { type: "github", id: "prs", events: ["pull_request"] },
          ],
        },
      ),
    ]);
    expect(endpoints).toEqual([
      {
        path: "/api/github/webhooks",
        secret: "GITHUB_WEBHOOK_SECRET",
        ack: "sync",
        routes: [
          { flow: "a", trigger: "github", events: ["issues.opened"] },
          { flow: "b", trigger: "github-0", events: ["push"] },
          { flow: "b", trigger: "prs", events: ["pull_request"] },
        ],
      },
    ]);
  });

  it("marks a route pure when its flow has no effect, given the kinds the flows are planned with", () => {
    const failing = user("b", { events: ["push"] }, { nodes: [{ id: "a", kind: "fail", config: {} }] });
    const send = user("c", {}, { nodes: [{ id: "s", kind: "queues.send", inputs: { body: 1 } }] });
    const [endpoint] = githubEndpoints([user("a"), failing, send], webhookRegistry(undefined));
    expect(endpoint?.routes.map((r) => [r.flow, r.pure ?? false])).toEqual([
      ["a", true],
      ["b", true],
      ["c", false],
    ]);
    // Without the kinds, no route is said to be pure.
    expect(githubEndpoints([user("a")])[0]?.routes[0]?.pure).toBeUndefined();
  });

  it("refuses two triggers on one path that disagree on the secret or the acknowledgement", () => {
    expect(() => githubEndpoints([user("a"), user("b", { secret: "OTHER" })])).toThrow(
      /GitHub triggers on \/api\/github\/webhooks disagree: flows `a` and `b`/,
    );
    expect(() => githubEndpoints([user("a"), user("b", { ack: "queue", queue: "HOOKS" })])).toThrow(
      /disagree/,
    );
    expect(() => githubEndpoints([user("a", { ack: "queue", queue: "NOPE" })])).toThrow(
      /needs `queue` to name a queue binding/,
    );
  });

  it("runs one queue consumer per queue, however many paths send to it", () => {
    const docs = githubWebhookDocuments([
      user("a", { path: "/one", ack: "queue", queue: "HOOKS" }),
      user("b", { path: "/two", ack: "queue", queue: "HOOKS" }),
    ]);
    expect(docs.map((d) => d.id)).toEqual(["github-webhook", "github-webhook-queue", "github-webhook-2"]);
  });
});

describe("createFlowSet serves GitHub triggers as ordinary routes", () => {
  it("adds POST on the webhook path (raw body, 25 MB) running the built-in flow", () => {
    const set = createFlowSet([user("a")]);
    expect(set.http).toEqual([
      {
        flowId: "github-webhook",
        triggerId: "http",
        method: "POST",
        path: "/api/github/webhooks",
        response: "json",
        maxBodyBytes: 25 * 1024 * 1024,
        body: "raw",
        onDisconnect: "cancel",
      },
    ]);
    expect(set.plans.has("github-webhook")).toBe(true);
  });

  it("refuses an HTTP route on the webhook path (FLOW_CONFLICT)", () => {
    const http: FlowDocument = {
      flows: 1,
      id: "hook",
      version: "1.0.0",
      triggers: [{ type: "http", method: "POST", path: "/api/github/webhooks" }],
      nodes: [{ id: "a", kind: "transform" }],
    };
    expect(() => createFlowSet([http, user("a")])).toThrow(
      /POST \/api\/github\/webhooks is served by both hook and github-webhook/,
    );
  });

  it("validates ack: queue: the queue must be a declared queue binding", () => {
    const text = (queue: string) =>
      `flows: 1\nid: q\nversion: 1.0.0\nbindings: { GITHUB_WEBHOOK_SECRET: { type: secret }, S: { type: secret } }\ntriggers: [{ type: github, events: [push], ack: queue, queue: ${queue} }]\nnodes: [{ id: a, kind: transform }]\n`;
    const codes = (queue: string) =>
      validateFlows([{ file: "q.yaml", text: text(queue) }], catalog).diagnostics.map(
        (d) => `${d.code} ${d.line}:${d.column}`,
      );
    expect(codes("HOOKS")).toEqual(["FLOW_BINDING_MISSING 5:63"]);
    expect(codes("S")).toEqual(["FLOW_BINDING_WRONG_TYPE 5:63"]);
    const noQueue = validateFlows([{ file: "q.yaml", text: text("X").replace(", queue: X", "") }], catalog);
    expect(noQueue.diagnostics.map((d) => d.message)).toEqual([
      "a GitHub trigger with `ack: queue` needs `queue`: the name of the queue binding that carries deliveries",
    ]);
  });
});
