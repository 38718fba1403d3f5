import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CHANGES_KINDS } from "../../../capabilities/changes/kinds.ts";
import { GITHUB_KINDS } from "../../../capabilities/github/kinds.ts";
import { FakeGitHub, MemoryKv, pkcs1KeyPair } from "../../../capabilities/github/testing.ts";
import { defaultCatalog } from "../../../cli/catalog.ts";
import {
  BUILTIN_KINDS,
  createPlan,
  createRegistry,
  type ExecutionPlan,
  runFlow,
} from "../../../kernel/index.ts";
import { ROOT } from "../../../test/flows.ts";
import type { FlowDocument } from "../../ir/types.ts";
import { validateFlows } from "../../validate/index.ts";
import { StandInRepository } from "./testing.ts";

/**
 * The flow-plan app (flows/builtin/apps/flow-plan.yaml) as the webhook flow runs it, against the recording
 * GitHub stand-in with GitHub's own `pull_request` payloads (@octokit/webhooks-examples): one comment is created,
 * later pushes update it, a redelivery never adds a second one.
 */

const EXAMPLES = JSON.parse(
  readFileSync(join(ROOT, "node_modules/@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
) as { name: string; examples: { action?: string }[] }[];
const FIXTURES = join(ROOT, "flows", "changes", "fixtures");
const fixture = (path: string) => readFileSync(join(FIXTURES, path), "utf8");

// GitHub's example pull request: Codertocat/Hello-World#2, base f95f852…, head ec26c3e….
const BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const MERGE_BASE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const INSTALLATION = 4242;
const ORDERS = "flows/orders.yaml";

// biome-ignore lint/suspicious/noExplicitAny: GitHub's example payloads, adapted field by field.
type Payload = Record<string, any>;

function delivery(action: "opened" | "synchronize", head = HEAD): Payload {
  const payload = structuredClone(
    EXAMPLES.find((e) => e.name === "pull_request")!.examples.find((x) => x.action === action)!,
  ) as Payload;
  payload.installation = { id: INSTALLATION, node_id: "x" };
  payload.pull_request.head.sha = head;
  return {
    type: "github",
    id: "github",
    name: `pull_request.${action}`,
    event: "pull_request",
    action,
    deliveryId: crypto.randomUUID(),
    hookId: null,
    installationId: INSTALLATION,
    payload,
  };
}

describe("flow-plan app (flows/builtin/apps/flow-plan.yaml)", () => {
  let plan: ExecutionPlan;
  let pem = "";
  const registry = createRegistry(BUILTIN_KINDS, GITHUB_KINDS, CHANGES_KINDS);

  beforeAll(async () => {
    pem = (await pkcs1KeyPair()).pem;
    const file = "flows/builtin/apps/flow-plan.yaml";
    const result = validateFlows([{ file, text: readFileSync(join(ROOT, file), "utf8") }], defaultCatalog());
    expect(result.diagnostics).toEqual([]);
    plan = createPlan(result.flows[0]!.document as FlowDocument, { registry });
  });

  /** A stand-in repository whose pull request changes `files` between the merge base and `head`. */
  function repository() {
    const gh = new FakeGitHub();
    const repo = new StandInRepository(gh, "Codertocat", "Hello-World");
    repo.commits.set(MERGE_BASE, {
      [ORDERS]: fixture("route-added/before/orders.yaml"),
      "README.md": "# hi\n",
    });
    const run = async (trigger: unknown) => {
      const result = await runFlow(plan, {
        trigger,
        env: {
          GITHUB_APP_ID: "42",
          GITHUB_PRIVATE_KEY: pem,
          GITHUB_CACHE: new MemoryKv(),
          GITHUB_API_URL: gh.base,
        },
        fetch: gh.fetch as typeof fetch,
      });
      expect(result.error).toBeUndefined();
      return result.output as Record<string, unknown>;
    };
    return { gh, repo, run };
  }

  it("comments the plan once, finds its comment again on a redelivery, and updates it on the next push", async () => {
    const { gh, repo, run } = repository();
    repo.commits.set(HEAD, {
      [ORDERS]: fixture("route-added/after/orders.yaml"),
      "flows/notes.yaml": "title: not a flow\n",
      "README.md": "# hello\n",
    });
    repo.compares.set(`${BASE}...${HEAD}`, {
      mergeBase: MERGE_BASE,
      files: [
        { filename: ORDERS, status: "modified" },
        { filename: "flows/notes.yaml", status: "added" },
        { filename: "README.md", status: "modified" },
      ],
    });
    repo.commentAs("octocat", "<!-- flows-plan --> quoted by a person: not the app's");

    const opened = delivery("opened");
    const first = await run(opened);
    const prefix = "/repos/Codertocat/Hello-World";
    expect(gh.lines({ tokens: false }).sort()).toEqual(
      [
        `GET ${prefix}/compare/${BASE}...${HEAD}`,
        `GET ${prefix}/contents/${ORDERS}?ref=${MERGE_BASE}`,
        `GET ${prefix}/contents/${ORDERS}?ref=${HEAD}`,
        `GET ${prefix}/contents/flows/notes.yaml?ref=${HEAD}`,
        `GET ${prefix}/issues/2/comments?per_page=100`,
        `POST ${prefix}/issues/2/comments`,
      ].sort(),
    );
    const mine = repo.comments.filter((c) => c.user.type === "Bot");
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toBe(
      `<!-- flows-plan -->\n${fixture("route-added/expected.md").replaceAll("orders.yaml", ORDERS)}`,
    );
    expect(first).toEqual({ status: "changed", breaking: false, created: mine[0]!.html_url });

    // The same delivery again (GitHub's "Redeliver", or a retry): the comment is found, nothing is posted.
    const calls = gh.calls.length;
    const again = await run({ ...opened });
    expect(
      gh
        .lines({ tokens: false })
        .slice(calls)
        .filter((l) => !l.startsWith("GET ")),
    ).toEqual([]);
    expect(repo.comments.filter((c) => c.user.type === "Bot")).toHaveLength(1);
    expect(again).toEqual({ status: "changed", breaking: false });

    // A push that removes the route: the one comment is edited to the new, breaking, plan.
    const NEXT = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    repo.commits.set(NEXT, {
      [ORDERS]: fixture("route-removed/after/orders.yaml").replace("2.0.0", "1.0.0"),
    });
    repo.commits.get(MERGE_BASE)![ORDERS] = fixture("route-removed/before/orders.yaml");
    repo.compares.set(`${BASE}...${NEXT}`, {
      mergeBase: MERGE_BASE,
      files: [{ filename: ORDERS, status: "modified" }],
    });
    const before = gh.calls.length;
    const pushed = await run(delivery("synchronize", NEXT));
    expect(
      gh
        .lines({ tokens: false })
        .slice(before)
        .filter((l) => !l.startsWith("GET ")),
    ).toEqual([`PATCH ${prefix}/issues/comments/${mine[0]!.id}`]);
    expect(repo.comments.filter((c) => c.user.type === "Bot")).toHaveLength(1);
    expect(mine[0]!.body).toMatch(
      /^<!-- flows-plan -->\n### Flow plan: 1 flow \(1 changed\), 2 changes, 1 breaking\n/,
    );
    expect(mine[0]!.body).toContain("**Breaking:** route `GET /orders/:orderId` removed");
    expect(pushed).toEqual({ status: "breaking", breaking: true, updated: mine[0]!.html_url });
  });

  it("posts nothing for a pull request that changes no flow file, and says so in a comment it made before", async () => {
    const { gh, repo, run } = repository();
    repo.commits.set(HEAD, { "README.md": "# hello\n" });
    repo.compares.set(`${BASE}...${HEAD}`, {
      mergeBase: MERGE_BASE,
      files: [{ filename: "README.md", status: "modified" }],
    });
    await run(delivery("opened"));
    // The comments are listed while the files are compared (no order between the two).
    expect(gh.lines({ tokens: false }).sort()).toEqual([
      `GET /repos/Codertocat/Hello-World/compare/${BASE}...${HEAD}`,
      "GET /repos/Codertocat/Hello-World/issues/2/comments?per_page=100",
    ]);
    expect(repo.comments).toEqual([]);

    // The flow changes of an earlier push were reverted: the app's comment says there are none now.
    repo.comments.push({
      id: 7,
      body: "<!-- flows-plan -->\n### Flow plan: 1 flow (1 changed), 2 changes, 0 breaking\n",
      user: { login: "flows-app[bot]", type: "Bot" },
      html_url: "https://github.test/c/7",
    });
    await run(delivery("synchronize"));
    expect(gh.lines({ tokens: false }).at(-1)).toBe("PATCH /repos/Codertocat/Hello-World/issues/comments/7");
    expect(repo.comments[0]!.body).toBe(
      "<!-- flows-plan -->\n### Flow plan: no changes\n\n0 flows compared: nothing changes.\n",
    );
  });

  it("compares a renamed flow file under its old name at the merge base and its new name at the head", async () => {
    const { gh, repo, run } = repository();
    repo.commits.set(HEAD, { "flows/shop/orders.yaml": fixture("route-added/before/orders.yaml") });
    repo.compares.set(`${BASE}...${HEAD}`, {
      mergeBase: MERGE_BASE,
      files: [{ filename: "flows/shop/orders.yaml", status: "renamed", previous_filename: ORDERS }],
    });
    const out = await run(delivery("opened"));
    expect(gh.lines({ tokens: false })).toContain(
      `GET /repos/Codertocat/Hello-World/contents/${ORDERS}?ref=${MERGE_BASE}`,
    );
    expect(out.status).toBe("unchanged");
    expect(repo.comments[0]!.body).toBe(
      "<!-- flows-plan -->\n### Flow plan: no changes\n\n1 flow compared: nothing changes.\n",
    );
  });
});
