import { describe, expect, it } from "vitest";
import { GITHUB_WEBHOOK_KIND_SPECS } from "../../capabilities/github/webhook/declaration.ts";
import { HTTP_KIND_SPECS } from "../../capabilities/http/declaration.ts";
import { BUILTIN_KIND_SPECS as BUILTINS } from "../../kernel/kinds/specs.ts";

/** The built-in kinds plus `http.fetch` (the HTTP capability), which the fixtures use as their external kind. */
const BUILTIN_KIND_SPECS = { ...BUILTINS, ...HTTP_KIND_SPECS };

import { TEST_CATALOG, TEST_KINDS, TEST_VALIDATORS } from "../../test/flows.ts";
import type { KindCatalog } from "../kinds/spec.ts";
import { MAX_NODES, validateFlows } from "./index.ts";

const HEAD = "flows: 1\nversion: 1.0.0\n";

/** A flow with the given id and YAML body (triggers, nodes, ...). */
const flow = (id: string, body: string, file = `${id}.yaml`) => ({ file, text: `${HEAD}id: ${id}\n${body}` });

const codes = (result: ReturnType<typeof validateFlows>) =>
  result.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);

const withTestKinds = (sources: { file: string; text: string }[], catalog: KindCatalog = TEST_CATALOG) =>
  validateFlows(sources, catalog, { configValidators: TEST_VALIDATORS });

describe("validateFlows reports every error at once", () => {
  it("reports schema errors together, each at its own line and column", () => {
    const result = validateFlows(
      [
        flow(
          "many",
          `triggers:
  - { type: http, method: GETT, path: nope }
nodes:
  - id: a
    kind: transform
    retry: { attempts: 0 }
    timeout: 5 seconds
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual([
      "FLOW_SCHEMA_VALUE 5:27",
      "FLOW_SCHEMA_VALUE 5:39",
      "FLOW_SCHEMA_VALUE 9:24",
      "FLOW_SCHEMA_VALUE 10:14",
    ]);
    expect(result.diagnostics[0]!.message).toContain("use one of `GET`");
    expect(result.diagnostics[0]!.message).toContain("did you mean `GET`?");
    expect(result.diagnostics[3]!.message).toContain(
      "`nodes[0].timeout` is `5 seconds`: it must be a duration",
    );
    expect(result.flows).toEqual([]);
  });

  it("still checks the well-formed parts of a file with schema errors, at their own lines", () => {
    const result = validateFlows(
      [
        flow(
          "partly",
          `bindings:
  CACHE: { type: kvv }
triggers:
  - { type: http, method: GETT, path: /a }
  - { type: queue, queue: jobs }
nodes:
  - id: broken
    kind: transform
    retry: 3
  - id: gone
    kind: 42
  - id: b
    kind: log
    inputs: { message: "\${{ nodes.gone.out + nodes.zz.out }}" }
    timeout: 10m
  - id: c
    kind: transfrom
    after: [gone, b]
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.ok).toBe(false);
    expect(codes(result)).toEqual([
      "FLOW_SCHEMA_VALUE 5:18",
      "FLOW_SCHEMA_VALUE 7:27",
      "FLOW_SCHEMA_TYPE 12:12",
      "FLOW_SCHEMA_TYPE 14:11",
      // Found although the schema failed: the rest is checked. `gone` (left out) is not reported unknown.
      "FLOW_UNKNOWN_NODE_REF 17:46",
      "FLOW_TIMEOUT_TOO_LONG 18:14",
      "FLOW_UNKNOWN_KIND 20:11",
    ]);
    expect(result.flows).toEqual([]);
    expect(result.partlyChecked).toEqual(["partly.yaml"]);
  });

  it("says a number given for the version should be a semantic version string", () => {
    const result = validateFlows(
      [
        {
          file: "v.yaml",
          text: "flows: 1\nid: v\nversion: 1.0\ntriggers: []\nnodes: [{ id: a, kind: transform }]\n",
        },
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => [d.code, d.line, d.column, d.message, d.hint])).toEqual([
      [
        "FLOW_SCHEMA_TYPE",
        3,
        10,
        "`version` must be a string, a semantic version such as `1.0.0` (it is the number 1)",
        'quote it: YAML reads an unquoted 1.0 as a number; write version: "1.0.0"',
      ],
    ]);
  });

  it("reports semantic errors of every rule family together", () => {
    const result = validateFlows(
      [
        flow(
          "several",
          `triggers:
  - { type: queue, queue: jobs }
nodes:
  - id: a
    kind: transfrom
  - id: b
    kind: log
    inputs: { message: "\${{ nodes.zz.out }}", extra: 1 }
  - id: c
    kind: http.fetch
    inputs: { url: "\${{ nodes.c.body }}" }
    retry: { attempts: 2 }
    timeout: 1h
output: d
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual([
      "FLOW_QUEUE_BINDING_MISSING 5:27",
      "FLOW_UNKNOWN_KIND 8:11",
      "FLOW_UNKNOWN_NODE_REF 11:29",
      "FLOW_UNKNOWN_INPUT 11:47",
      "FLOW_SELF_REFERENCE 14:25",
      "FLOW_RETRY_NOT_IDEMPOTENT 15:5",
      "FLOW_TIMEOUT_TOO_LONG 16:14",
      "FLOW_OUTPUT_UNKNOWN_NODE 17:9",
    ]);
    expect(result.flows).toHaveLength(1);
    expect(result.flows[0]!.ok).toBe(false);
  });

  it("reports problems of several files, sorted by file then position", () => {
    const result = validateFlows(
      [
        { file: "b.yaml", text: "flows: 1\nid: [" },
        flow("fine", "triggers: []\nnodes: [{ id: a, kind: transform }]\n"),
        { file: "a.json", text: "[]" },
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => d.file)).toEqual(["b.yaml", "a.json"]);
    expect(result.flows.map((f) => [f.file, f.ok])).toEqual([["fine.yaml", true]]);
  });
});

describe("rules across flows (one deployment)", () => {
  it("rejects two HTTP triggers on the same method and path in different flows, even with other parameter names", () => {
    const result = validateFlows(
      [
        flow(
          "users",
          "triggers: [{ type: http, method: GET, path: '/users/:id' }]\nnodes: [{ id: a, kind: transform }]\noutput: a\n",
        ),
        flow(
          "people",
          "triggers: [{ type: http, method: POST, path: '/users/:id' }]\nnodes: [{ id: a, kind: transform }]\noutput: a\n",
        ),
        flow(
          "accounts",
          "triggers:\n  - { type: http, method: GET, path: '/users/:userId' }\nnodes: [{ id: a, kind: transform }]\noutput: a\n",
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_ROUTE_CONFLICT 5:38"]);
    const [d] = result.diagnostics;
    expect(d!.file).toBe("accounts.yaml");
    expect(d!.message).toBe(
      "route GET /users/:userId conflicts with GET /users/:id declared in flow `users` (users.yaml, line 4)",
    );
    expect(result.flows.map((f) => f.ok)).toEqual([true, true, false]);
  });

  it("lets GitHub triggers share their webhook path, but not with an HTTP route", () => {
    const github =
      "bindings: { GITHUB_WEBHOOK_SECRET: { type: secret } }\ntriggers: [{ type: github, events: [issues] }]\n";
    const result = validateFlows(
      [
        flow("gh-one", `${github}nodes: [{ id: a, kind: transform }]\n`),
        flow("gh-two", `${github}nodes: [{ id: a, kind: transform }]\n`),
        flow(
          "hook",
          "triggers: [{ type: http, method: POST, path: /api/github/webhooks }]\nnodes: [{ id: a, kind: transform }]\noutput: a\n",
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_ROUTE_CONFLICT 4:46"]);
    expect(result.diagnostics[0]!.message).toContain("(a GitHub webhook)");
  });

  it("rejects two flows with the same id", () => {
    const nodes = "triggers: []\nnodes: [{ id: a, kind: transform }]\n";
    const result = validateFlows(
      [flow("same", nodes, "one.yaml"), flow("same", nodes, "two.yaml")],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([
      ["two.yaml", "FLOW_DUPLICATE_FLOW_ID", 3, 5],
    ]);
    expect(result.diagnostics[0]!.message).toContain("also used by one.yaml");
  });

  it("rejects a subflow node that names no flow of the set, at its config.flow, and in a map template", () => {
    const caller = flow(
      "caller",
      `triggers: []
nodes:
  - { id: call, kind: subflow, config: { flow: chil } }
  - id: each
    kind: map
    inputs: { items: [1] }
    config: { node: { kind: subflow, config: { flow: gone } } }
`,
    );
    const child = flow("child", "triggers: []\nnodes: [{ id: a, kind: transform }]\n");
    const result = validateFlows([caller, child], BUILTIN_KIND_SPECS);
    expect(result.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([
      ["caller.yaml", "FLOW_SUBFLOW_UNKNOWN", 6, 48],
      ["caller.yaml", "FLOW_SUBFLOW_UNKNOWN", 10, 54],
    ]);
    expect(result.diagnostics[0]!.message).toBe(
      "node `call` (kind `subflow`) calls flow `chil`, which is not among the flows validated together: did you mean `child`? (flows: `caller`, `child`)",
    );
    expect(result.ok).toBe(false);
  });

  it("accepts a subflow node naming a flow of the set, even one whose schema is wrong", () => {
    const caller = flow(
      "caller",
      "triggers: []\nnodes: [{ id: call, kind: subflow, config: { flow: child } }]\n",
    );
    const child = flow("child", "triggers: []\nnodes: [{ id: a, kind: transform, retry: 3 }]\n");
    const result = validateFlows([caller, child], BUILTIN_KIND_SPECS);
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([["child.yaml", "FLOW_SCHEMA_TYPE"]]);
  });
});

describe("kinds", () => {
  it("leaves internal kinds (github.webhook.*) out of the known kinds and suggestions, but accepts them", () => {
    const catalog = { ...BUILTIN_KIND_SPECS, ...GITHUB_WEBHOOK_KIND_SPECS };
    const result = validateFlows(
      [flow("k", "triggers: []\nnodes:\n  - { id: a, kind: github.webhook.parsee }\n")],
      catalog,
    );
    expect(codes(result)).toEqual(["FLOW_UNKNOWN_KIND 6:20"]);
    expect(result.diagnostics[0]!.message).toBe(
      "node `a` has unknown kind `github.webhook.parsee` (known kinds: `condition`, `delay`, `fail`, `http.fetch`, `log`, `map`, `merge`, `respond`, `sleep`, `subflow`, `switch`, `transform`, `wait`)",
    );
    const parse = validateFlows(
      [
        flow(
          "k",
          "triggers: []\nnodes:\n  - { id: a, kind: github.webhook.parse, inputs: { request: {} } }\n",
        ),
      ],
      catalog,
    );
    expect(parse.diagnostics.filter((d) => d.code === "FLOW_UNKNOWN_KIND")).toEqual([]);
  });
});

describe("limits", () => {
  it("rejects more than 1,000 nodes, giving the limit and the count", () => {
    const nodes = Array.from(
      { length: MAX_NODES + 204 },
      (_, i) => `  - { id: n${i}, kind: transform }`,
    ).join("\n");
    const result = validateFlows([flow("huge", `triggers: []\nnodes:\n${nodes}\n`)], BUILTIN_KIND_SPECS);
    expect(codes(result)).toEqual(["FLOW_TOO_MANY_NODES 5:1"]);
    expect(result.diagnostics[0]!.message).toBe("the flow has 1,204 nodes; the limit is 1,000");
  });

  it("accepts exactly 1,000 nodes", () => {
    const nodes = Array.from({ length: MAX_NODES }, (_, i) => `  - { id: n${i}, kind: transform }`).join(
      "\n",
    );
    expect(validateFlows([flow("big", `triggers: []\nnodes:\n${nodes}\n`)], BUILTIN_KIND_SPECS).ok).toBe(
      true,
    );
  });
});

describe("bindings", () => {
  const kv = (node: string, bindings = "bindings: { CACHE: { type: kv } }\n") =>
    withTestKinds([flow("kv", `${bindings}triggers: []\nnodes:\n  - ${node}\n`)]);

  it("accepts the only binding of the needed type", () => {
    expect(kv("{ id: get, kind: kv.get, inputs: { key: k } }").diagnostics).toEqual([]);
  });

  it("rejects a kind whose binding type the flow does not declare", () => {
    const result = kv("{ id: get, kind: kv.get, inputs: { key: k } }", "");
    expect(codes(result)).toEqual(["FLOW_BINDING_MISSING 6:5"]);
    expect(result.diagnostics[0]!.message).toBe(
      "node `get` (kind `kv.get`) needs a `kv` binding and the flow declares none",
    );
  });

  it("rejects a named binding that is not declared or has the wrong type", () => {
    const bindings = "bindings: { CACHE: { type: kv }, FILES: { type: r2, bucket: f } }\n";
    expect(
      codes(kv("{ id: get, kind: kv.get, inputs: { key: k }, config: { binding: NOPE } }", bindings)),
    ).toEqual(["FLOW_BINDING_MISSING 7:69"]);
    expect(
      codes(kv("{ id: get, kind: kv.get, inputs: { key: k }, config: { binding: FILES } }", bindings)),
    ).toEqual(["FLOW_BINDING_WRONG_TYPE 7:69"]);
  });

  it("rejects an ambiguous binding unless config.binding names one", () => {
    const bindings = "bindings: { A: { type: kv }, B: { type: kv } }\n";
    const result = kv("{ id: get, kind: kv.get, inputs: { key: k } }", bindings);
    expect(codes(result)).toEqual(["FLOW_BINDING_AMBIGUOUS 7:5"]);
    expect(result.diagnostics[0]!.message).toContain("declares 2 (`A`, `B`)");
    expect(
      kv("{ id: get, kind: kv.get, inputs: { key: k }, config: { binding: B } }", bindings).diagnostics,
    ).toEqual([]);
  });

  it("rejects a queue-sending node without a queue binding with FLOW_QUEUE_BINDING_MISSING", () => {
    const result = withTestKinds([
      flow(
        "send",
        "triggers: []\nnodes:\n  - { id: s, kind: queue.send, inputs: { key: k }, idempotencyKey: run.id }\n",
      ),
    ]);
    expect(codes(result)).toEqual(["FLOW_QUEUE_BINDING_MISSING 6:5"]);
  });

  it("checks the bindings of a map template's kind", () => {
    const result = withTestKinds([
      flow(
        "each",
        "triggers: []\nnodes:\n  - id: m\n    kind: map\n    inputs: { items: [1] }\n    config: { node: { kind: kv.get, inputs: { key: '${{ item }}' } } }\n",
      ),
    ]);
    expect(codes(result)).toEqual(["FLOW_BINDING_MISSING 9:21"]);
    expect(result.diagnostics[0]!.message).toContain("the `kv.get` template of node `m`");
  });

  it("rejects a GitHub webhook secret that is not a secret binding", () => {
    const result = validateFlows(
      [
        flow(
          "gh",
          "bindings: { GITHUB_WEBHOOK_SECRET: { type: var, value: x } }\ntriggers: [{ type: github, events: ['*'] }]\nnodes: [{ id: a, kind: transform }]\n",
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_BINDING_WRONG_TYPE 5:12"]);
  });
});

describe("triggers", () => {
  it("rejects an explicit trigger id equal to another trigger's default id", () => {
    const result = validateFlows(
      [
        flow(
          "ids",
          "triggers:\n  - { type: http, id: cron, method: GET, path: /a }\n  - { type: cron, schedule: '0 * * * *' }\nnodes: [{ id: a, kind: transform }]\noutput: a\n",
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_DUPLICATE_TRIGGER_ID 6:5"]);
    expect(result.diagnostics[0]!.message).toContain(
      "trigger id `cron` (its default id) is used twice (first at line 5)",
    );
  });
});

describe("retries of effectful nodes", () => {
  const put = (extra: string, defaults = "") =>
    withTestKinds([
      flow(
        "w",
        `bindings: { KV: { type: kv } }\ntriggers: []\n${defaults}nodes:\n  - { id: p, kind: kv.put, inputs: { key: k }${extra} }\n`,
      ),
    ]);

  it("accepts a retried write node with an idempotencyKey, or marked idempotent", () => {
    expect(put(", retry: { attempts: 3 }, idempotencyKey: '${{ run.id }}'").diagnostics).toEqual([]);
    expect(put(", retry: { attempts: 3, idempotent: true }").diagnostics).toEqual([]);
    expect(put("").diagnostics).toEqual([]);
  });

  it("rejects a write node retried by its own policy or by the flow's defaults", () => {
    expect(codes(put(", retry: { attempts: 3 }"))).toEqual(["FLOW_RETRY_NOT_IDEMPOTENT 7:48"]);
    expect(codes(put("", "defaults: { retry: { attempts: 2 } }\n"))).toEqual([
      "FLOW_RETRY_NOT_IDEMPOTENT 8:5",
    ]);
    expect(put(", retry: { attempts: 1 }", "defaults: { retry: { attempts: 2 } }\n").diagnostics).toEqual([]);
  });

  it("counts the effect of a map template, as the kernel does when it gates retries", () => {
    const result = withTestKinds([
      flow(
        "m",
        "bindings: { KV: { type: kv } }\ntriggers: []\nnodes:\n  - id: each\n    kind: map\n    inputs: { items: [1] }\n    config: { node: { kind: kv.put, inputs: { key: '${{ item }}' } } }\n    retry: { attempts: 2 }\n",
      ),
    ]);
    expect(codes(result)).toEqual(["FLOW_RETRY_NOT_IDEMPOTENT 11:5"]);
    expect(result.diagnostics[0]!.message).toContain("has effect `write`");
  });

  it("accepts `input` in an idempotencyKey (evaluated with the node's inputs)", () => {
    expect(put(", retry: { attempts: 3 }, idempotencyKey: 'input.key'").diagnostics).toEqual([]);
  });

  it("uses the kind's default retry before the flow's defaults", () => {
    const retried: KindCatalog = {
      ...TEST_CATALOG,
      "kv.put": { ...TEST_KINDS["kv.put"]!, defaultRetry: { attempts: 4 } },
    };
    const result = withTestKinds(
      [
        flow(
          "w",
          "bindings: { KV: { type: kv } }\ntriggers: []\nnodes:\n  - { id: p, kind: kv.put, inputs: { key: k } }\n",
        ),
      ],
      retried,
    );
    expect(result.diagnostics[0]!.message).toContain("may run 4 times (its kind's default retry)");
  });
});

describe("determinism and effects", () => {
  const summary = (nodes: string) => {
    const result = withTestKinds([
      flow("d", `bindings: { KV: { type: kv } }\ntriggers: []\nnodes:\n${nodes}`),
    ]);
    return [result.flows[0]!.determinism, result.flows[0]!.effects];
  };

  it("is strict for pure nodes, the weakest node otherwise", () => {
    expect(summary("  - { id: a, kind: transform }\n")).toEqual(["strict", ["pure"]]);
    expect(summary("  - { id: a, kind: kv.get, inputs: { key: k } }\n")).toEqual(["stable", ["read"]]);
    expect(
      summary(
        "  - { id: a, kind: http.fetch, inputs: { url: u } }\n  - { id: b, kind: kv.get, inputs: { key: k } }\n",
      ),
    ).toEqual(["nondeterministic", ["read", "external"]]);
  });

  it("makes a flow with a write or external node at most best_effort", () => {
    expect(summary("  - { id: a, kind: kv.put, inputs: { key: k } }\n")).toEqual(["best_effort", ["write"]]);
    expect(summary("  - { id: a, kind: subflow, config: { flow: other } }\n")).toEqual([
      "best_effort",
      ["external"],
    ]);
  });

  it("counts the kind of a map template", () => {
    expect(
      summary(
        "  - { id: m, kind: map, inputs: { items: [] }, config: { node: { kind: kv.put, inputs: { key: k } } } }\n",
      ),
    ).toEqual(["best_effort", ["pure", "write"]]);
  });
});

describe("config validators", () => {
  it("warns when a kind's config schema was not compiled at build time", () => {
    const result = validateFlows(
      [
        flow(
          "u",
          // `queue.send` is a test kind: the build compiles `queues.send`, not it.
          "bindings: { Q: { type: queue, queue: q } }\ntriggers: []\nnodes:\n  - { id: a, kind: queue.send, inputs: { key: k } }\n",
        ),
      ],
      TEST_CATALOG,
    );
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ["FLOW_CONFIG_UNCHECKED", "warning"],
    ]);
    expect(result.diagnostics[0]!.message).toContain(
      "list its capability package in `flows.capabilities` of package.json",
    );
  });

  it("warns when the build is older than a kind's config schema", () => {
    const changed: KindCatalog = {
      ...BUILTIN_KIND_SPECS,
      delay: { ...BUILTIN_KIND_SPECS.delay!, configSchema: { type: "object" } },
    };
    const result = validateFlows(
      [flow("s", "triggers: []\nnodes: [{ id: a, kind: delay, config: { duration: 1s } }]\n")],
      changed,
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(["FLOW_CONFIG_UNCHECKED"]);
    expect(result.diagnostics[0]!.message).toContain("run `npm run build`");
  });

  it("reports config errors of injected validators at their field", () => {
    const result = withTestKinds([
      flow(
        "c",
        "bindings: { KV: { type: kv } }\ntriggers: []\nnodes:\n  - { id: a, kind: kv.get, inputs: { key: k }, config: { bindng: KV } }\n",
      ),
    ]);
    expect(codes(result)).toEqual(["FLOW_CONFIG_INVALID 7:58"]);
    expect(result.diagnostics[0]!.message).toContain(
      "unknown field `bindng` in `nodes[0].config`: did you mean `binding`?",
    );
  });
});

describe("expressions", () => {
  it("gives a type error the hint that fits it: ternary branches, ternary condition, unknown variable", () => {
    const result = validateFlows(
      [
        flow(
          "types",
          `triggers: []
nodes:
  - id: t
    kind: transform
    inputs: { a: "\${{ trigger.ok ? 1 : 'no' }}", b: "\${{ size(trigger.list) ? 1 : 2 }}", c: "\${{ trgger.x }}" }
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      [
        "FLOW_EXPR_TYPE",
        "invalid expression: Ternary branches must have the same type, got 'int' and 'string'",
        "both branches of `c ? a : b` must have one type: convert one (`string(x)`, `int(x)`, `double(x)`), or wrap one in `dyn(...)` to allow any",
      ],
      [
        "FLOW_EXPR_TYPE",
        "invalid expression: Ternary condition must be bool, got 'int'",
        "the condition before `?` must be a boolean: compare the value (`x > 0`, `x != null`) or test a key with `has(x.y)`",
      ],
      [
        "FLOW_EXPR_TYPE",
        "invalid expression: Unknown variable: trgger",
        "expressions may use trigger, nodes, vars and run (and input in config, item/index in map templates)",
      ],
    ]);
  });

  it("refuses `input` used as one value in a switch case, where `input.value` was meant", () => {
    const result = validateFlows(
      [
        flow(
          "cases",
          `triggers: []
nodes:
  - id: pick
    kind: switch
    inputs: { value: 70 }
    config:
      cases:
        - { port: high, when: "input >= 50" }
        - { port: low, when: "input.value < 50" }
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      [
        "FLOW_EXPR_TYPE",
        "invalid expression: no such overload: map<string, dyn> >= int",
        "`input` is the node's inputs record, not one value: name the input, e.g. `input.value`",
      ],
    ]);
    expect(codes(result)).toEqual(["FLOW_EXPR_TYPE 11:32"]); // at `input`
  });

  it("rejects vars that are not var bindings, wherever the expression is, but not a has() test", () => {
    const result = validateFlows(
      [
        flow(
          "vars",
          `bindings:
  CURRENCY: { type: var, value: EUR }
  TOKEN: { type: secret }
triggers: []
nodes:
  - id: t
    kind: transform
    inputs: { a: "\${{ vars.CURRENCY }}", b: "\${{ has(vars.RATE) ? 1 : 2 }}", c: "\${{ vars.CURENCY }}" }
    when: vars["TOKEN"] != null
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_VAR_UNKNOWN 11:86", "FLOW_VAR_UNKNOWN 12:11"]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "`vars.CURENCY` is not a variable of this flow: the flow declares no var `CURENCY`: did you mean `CURRENCY`?",
      "`vars.TOKEN` is not a variable of this flow: `TOKEN` is a `secret` binding, not a var: only `var` bindings are in `vars`",
    ]);
  });

  it("accepts input in evaluated config fields and item/index in map templates only", () => {
    const result = validateFlows(
      [
        flow(
          "roots",
          `triggers: []
nodes:
  - id: t
    kind: transform
    inputs: { a: 1, list: "\${{ [1, 2].map(item, item * 2) }}" }
    config: { value: "\${{ input.a }}" }
  - id: m
    kind: map
    inputs: { items: "\${{ nodes.t.out.list }}" }
    config:
      node:
        kind: transform
        inputs: { v: "\${{ item + index }}" }
        config: { value: "\${{ input.v + index }}" }
  - id: bad
    kind: log
    inputs: { message: "\${{ index }}" }
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_EXPR_ROOT_NOT_ALLOWED 20:29"]);
  });

  it("treats $${{ as a literal and locates errors after it exactly", () => {
    const result = validateFlows(
      [
        flow(
          "esc",
          "triggers: []\nnodes:\n  - id: a\n    kind: transform\n    inputs: { x: 'cost $${{ x }} then ${{ 1 + }}' }\n",
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_EXPR_SYNTAX 8:46"]);
  });

  it("records references in when, idempotencyKey and config as dependencies", () => {
    const result = validateFlows(
      [
        flow(
          "deps",
          `triggers: []
nodes:
  - { id: a, kind: transform, when: "nodes.b.out != null" }
  - { id: b, kind: transform, config: { value: "\${{ nodes.a.out }}" } }
`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(codes(result)).toEqual(["FLOW_CYCLE 6:38"]);
    expect(result.diagnostics[0]!.message).toBe("nodes depend on each other in a cycle: a → b → a");
  });

  it("rejects an expression past the structural limits with FLOW_EXPR_LIMIT", () => {
    const deep = `${"[".repeat(80)}1${"]".repeat(80)}`;
    const result = validateFlows(
      [
        flow(
          "deep",
          `triggers: []\nnodes:\n  - { id: a, kind: transform, inputs: { x: "\${{ ${deep} }}" } }\n`,
        ),
      ],
      BUILTIN_KIND_SPECS,
    );
    expect(result.diagnostics.map((d) => d.code)).toEqual(["FLOW_EXPR_LIMIT"]);
  });
});
