import type { FlowDocument } from "../../ir/types.ts";
import { configOf, type FlowCheck } from "../context.ts";
import { safePorts } from "./kinds.ts";
import { RESPOND_KIND } from "./output.ts";

/** The kind that ends a run with an error: a flow that fails in the case its answer is skipped still answers. */
const FAIL_KIND = "fail";

/**
 * What a node needs to run: one branch to take one of its ports. A branch is a `condition` or `switch` node
 * (`node:<index>`, its ports), or a `when` expression (`when:<text>`, ports `true` and `false`): two nodes whose
 * `when`s are `x == null` and `x != null` are on the two ports of one branch, as `!x` and `x` are.
 */
interface Guard {
  branch: string;
  port: string;
  /** The node to name in a message: the branch, or the node whose `when` it is. */
  node: number;
}

/**
 * The ways a node can run: it runs when every guard of one of these holds (an empty one: always). A way holds one
 * guard per branch, keyed by the branch: a way that would need two ports of one branch never runs, and is dropped.
 */
type Way = Map<string, Guard>;
type Ways = Way[];

/** How many ways to run, and guards of each, a message lists. */
const MAX_LISTED = 4;

/** Past this many ways to run, a node's analysis gives up (and warns of nothing): a flow that branches a lot. */
const MAX_WAYS = 16;

/**
 * FLOW_OUTPUT_MAY_BE_SKIPPED: a flow answering HTTP (JSON or a stream) whose answering node can be skipped, because
 * it depends, through the nodes it reads, on a `when` or on one port of a branch (`condition`, `switch`) that the
 * other ports do not make up for. Such a request is answered 500 NO_RESPONSE. A join (`merge`) runs when any of its
 * inputs can, and the ports of a branch that always takes one (`then` and `else`) together always run.
 */
export function checkAnswerSkips(check: FlowCheck): void {
  const { doc } = check;
  if (!doc.triggers.some((t) => t.type === "http" && t.response !== "sse")) return;
  const responders = doc.nodes.flatMap((n, i) => (n.kind === RESPOND_KIND ? [i] : []));
  const answer =
    doc.output !== undefined
      ? check.index.get(doc.output)
      : responders.length === 1
        ? responders[0]
        : undefined;
  if (answer === undefined) return;
  const portsOf = exhaustivePorts(check);
  const waysOf = wayFinder(check, portsOf);
  const answers = waysOf(answer);
  if (!answers || answers.some((way) => way.size === 0)) return;
  // The run also answers when a `fail` node ends it: the answer and the failures together may cover every case.
  let together: Ways | undefined = answers;
  for (const [i, node] of doc.nodes.entries()) {
    if (node.kind !== FAIL_KIND) continue;
    const fails = waysOf(i);
    together = together && fails && simplify(portsOf, [...together, ...fails]);
  }
  if (!together || together.some((way) => way.size === 0)) return;
  const node = doc.nodes[answer]!;
  // The simplest ways first; a long list is cut (a chain through a hundred conditions needs them all).
  const ways = [...answers].sort((a, b) => a.size - b.size);
  const conditions = ways.slice(0, MAX_LISTED).map((way) => {
    const guards = [...way.values()].map((g) => describeGuard(doc, g));
    const more = guards.length - MAX_LISTED;
    return guards.slice(0, MAX_LISTED).join(" and ") + (more > 0 ? ` and ${more} more` : "");
  });
  if (ways.length > MAX_LISTED) conditions.push(`${ways.length - MAX_LISTED} other ways`);
  check.report(
    "FLOW_OUTPUT_MAY_BE_SKIPPED",
    doc.output !== undefined ? "/output" : `/nodes/${answer}/id`,
    `the answer, node \`${node.id}\`, runs only when ${conditions.join(", or when ")}: otherwise it is skipped and the request is answered 500 NO_RESPONSE`,
    {
      hint: "answer every case: a `respond` node per branch joined by a `merge` (`mode: first`) that `output` names, or a `fail` node for the other case",
    },
  );
}

function describeGuard(doc: FlowDocument, guard: Guard): string {
  const id = doc.nodes[guard.node]!.id;
  if (guard.branch.startsWith("node:")) return `\`${id}\` takes \`${guard.port}\``;
  return `\`${id}\`'s \`when\` is ${guard.port}`;
}

/**
 * A node's `when` as a branch and the port it needs: `x != y` is port `false` of `x == y`, `!x` port `false` of `x`
 * (an expression with `&&`, `||` or `?` is its own branch, port `true`).
 */
function whenGuard(when: string, node: number): Guard {
  let text = when.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  if (wrapped) text = wrapped[1]!.trim();
  text = text.replace(/\s+/g, " ");
  let port = "true";
  if (!/&&|\|\||\?/.test(text)) {
    const comparison = /^([^=!<>]+?) ?(==|!=) ?([^=!<>]+)$/.exec(text);
    if (comparison) {
      text = `${comparison[1]} == ${comparison[3]}`;
      if (comparison[2] === "!=") port = "false";
    } else if (/^!\(.*\)$/.test(text) || /^![^ ]+$/.test(text)) {
      text = text.replace(/^!\((.*)\)$|^!/, "$1");
      port = "false";
    }
  }
  return { branch: `when:${text}`, port, node };
}

/** The ways each node can run (see `Ways`), memoised; undefined when there are too many to follow. */
function wayFinder(
  check: FlowCheck,
  portsOf: (guard: Guard) => readonly string[] | undefined,
): (i: number) => Ways | undefined {
  const nodes = check.doc.nodes;
  const sources = nodes.map((): { node: number; port?: string }[] => []);
  for (const ref of check.references) {
    const to = check.index.get(ref.node);
    if (to !== undefined && to !== ref.from) sources[ref.from]!.push({ node: to, port: ref.port });
  }
  const memo = new Map<number, Ways | undefined>();
  const visiting = new Set<number>();
  // What a reference needs: its node to run, and the branch to take the port it reads.
  const viaRef = (ref: { node: number; port?: string }): Ways | undefined => {
    const ways = waysOf(ref.node);
    if (!ways || ref.port === undefined || !check.specs[ref.node]?.branch) return ways;
    return withGuard(ways, { branch: `node:${ref.node}`, port: ref.port, node: ref.node });
  };
  const waysOf = (i: number): Ways | undefined => {
    if (memo.has(i)) return memo.get(i);
    // A cycle is the graph rule's error: nothing to say here.
    if (visiting.has(i)) return undefined;
    visiting.add(i);
    let ways: Ways | undefined;
    if (check.specs[i]?.join) {
      ways = [];
      for (const ref of sources[i]!) {
        const via = viaRef(ref);
        ways = ways && via && [...ways, ...via];
      }
      if (ways?.length === 0) ways = [new Map()];
    } else {
      ways = [new Map()];
      for (const ref of sources[i]!) {
        const via = viaRef(ref);
        ways = ways && via && product(ways, via);
      }
    }
    const when = nodes[i]!.when;
    if (ways && typeof when === "string") ways = withGuard(ways, whenGuard(when, i));
    const simple = ways && simplify(portsOf, ways);
    visiting.delete(i);
    memo.set(i, simple);
    return simple;
  };
  return waysOf;
}

/** The ways, each also needing `guard` (a way that needs another port of its branch never runs: dropped). */
function withGuard(ways: Ways, guard: Guard): Ways {
  return ways
    .filter((way) => (way.get(guard.branch)?.port ?? guard.port) === guard.port)
    .map((way) => (way.has(guard.branch) ? way : new Map(way).set(guard.branch, guard)));
}

/** Every way of `a` with every way of `b`: both are needed. Undefined past MAX_WAYS. */
function product(a: Ways, b: Ways): Ways | undefined {
  if (a.length * b.length > MAX_WAYS) return undefined;
  // Nothing more needed on one side: the other's ways as they are (no copy).
  if (b.length === 1 && b[0]!.size === 0) return a;
  if (a.length === 1 && a[0]!.size === 0) return b;
  const ways: Ways = [];
  for (const x of a) {
    for (const y of b) {
      let way: Way | undefined = new Map(x);
      for (const [branch, guard] of y) {
        // Two ports of one branch: this way never runs.
        if ((way.get(branch)?.port ?? guard.port) !== guard.port) {
          way = undefined;
          break;
        }
        way.set(branch, guard);
      }
      if (way) ways.push(way);
    }
  }
  return ways;
}

/**
 * Fewer, wider ways: a way that needs more than another is dropped (the other already runs the node), and the ways
 * that differ only in which port one exhaustive branch takes become one way without it. `portsOf`: the ports of an
 * exhaustive branch, undefined for another.
 */
function simplify(portsOf: (guard: Guard) => readonly string[] | undefined, input: Ways): Ways | undefined {
  let ways = input;
  // One way is as simple as it gets: merging needs a way per port.
  for (let changed = ways.length > 1; changed; ) {
    changed = false;
    ways = ways.filter(
      (way, i) => !ways.some((other, j) => j !== i && within(other, way) && (other.size < way.size || j < i)),
    );
    if (ways.length > MAX_WAYS) return undefined;
    merging: for (let i = 0; i < ways.length; i++) {
      for (let j = i + 1; j < ways.length; j++) {
        const branch = soleDifference(ways[i]!, ways[j]!);
        const ports = branch === undefined ? undefined : portsOf(ways[i]!.get(branch)!);
        if (!ports) continue;
        const taken = new Set(
          ways.flatMap((w) => (sameBut(ways[i]!, w, branch!) ? [w.get(branch!)!.port] : [])),
        );
        if (!ports.every((port) => taken.has(port))) continue;
        const rest = new Map(ways[i]!);
        rest.delete(branch!);
        ways = [...ways, rest];
        changed = true;
        break merging;
      }
    }
  }
  return ways;
}

/** The one branch on which two ways need different ports, all else equal; undefined otherwise. */
function soleDifference(a: Way, b: Way): string | undefined {
  if (a.size !== b.size) return undefined;
  let differs: string | undefined;
  for (const [branch, guard] of a) {
    const other = b.get(branch);
    if (!other) return undefined;
    if (other.port === guard.port) continue;
    if (differs !== undefined) return undefined;
    differs = branch;
  }
  return differs;
}

/** Whether `b` needs what `a` needs, but for the port of `branch`. */
function sameBut(a: Way, b: Way, branch: string): boolean {
  if (a.size !== b.size || !b.has(branch)) return false;
  for (const [key, guard] of a) if (key !== branch && b.get(key)?.port !== guard.port) return false;
  return true;
}

/** Whether every guard of `way` is in `other`. */
function within(way: Way, other: Way): boolean {
  for (const [branch, guard] of way) if (other.get(branch)?.port !== guard.port) return false;
  return true;
}

/** The ports of a guard's branch when it always takes one of them (a `when` is true or false), else undefined. */
function exhaustivePorts(check: FlowCheck): (guard: Guard) => readonly string[] | undefined {
  const known = new Map<number, readonly string[] | undefined>();
  return (guard) => {
    if (!guard.branch.startsWith("node:")) return WHEN_PORTS;
    const i = guard.node;
    if (!known.has(i)) {
      const spec = check.specs[i];
      const config = configOf(check.doc.nodes[i]!.config);
      const exhaustive = spec?.branch && !check.badConfig.has(i) && spec.branch(config).exhaustive;
      known.set(i, exhaustive ? safePorts(spec, config) : undefined);
    }
    return known.get(i);
  };
}

const WHEN_PORTS: readonly string[] = ["true", "false"];
