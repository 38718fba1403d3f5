import { DURABLE_LIMITS, isDurable } from "../../ir/durable.ts";
import { isStepKind, type NodeKindSpec, streamsOn } from "../../kinds/spec.ts";
import { formatDuration, parseDuration } from "../../units/duration.ts";
import { type FlowCheck, nodeLabel } from "../context.ts";

const WAIT_KIND = "wait";
const SLEEP_KIND = "sleep";

/**
 * Durable-flow rules, each for something that would break a Workflow replay or a platform limit:
 * - FLOW_WAIT_NOT_DURABLE: only a Workflow instance can wait for an event;
 * - FLOW_DURABLE_TRIGGER: a durable run outlives its request, so an HTTP trigger answers 202 (no stream, no SSE, no
 *   streamed body: the trigger is the instance's parameters and must be a value), and a GitHub trigger hands the
 *   delivery to the instance itself (no `ack: queue`);
 * - FLOW_DURABLE_STREAM: a step's outputs are stored, and a stream cannot be (a kind whose output port is bytes);
 * - FLOW_DURABLE_LIMIT: a sleep or wait longer than the platform allows;
 * - FLOW_DURABLE_MAP_STEPS (warning): each item of a `map` whose template is a step is a step of its own.
 */
export function checkDurable(check: FlowCheck): void {
  const durable = isDurable(check.doc);
  check.doc.nodes.forEach((node, i) => {
    const spec = check.specs[i];
    if (!spec) return;
    const pointer = `/nodes/${i}`;
    const templates = check.templates.get(i) ?? [];
    const waits = [spec, ...templates.map((t) => t.spec)].some((s) => s.kind === WAIT_KIND);
    if (!durable) {
      if (waits)
        check.report(
          "FLOW_WAIT_NOT_DURABLE",
          `${pointer}/kind`,
          `${nodeLabel(node.id)} waits for an event, which only a durable flow can do`,
          {
            hint: "add `durable: true` at the top of the flow: it then runs as a Cloudflare Workflow instance",
          },
        );
      return;
    }
    const config = node.config ?? {};
    if (spec.kind === SLEEP_KIND && typeof config.duration === "string")
      checkLength(check, `${pointer}/config/duration`, config.duration, DURABLE_LIMITS.sleepMs, "a sleep");
    if (spec.kind === WAIT_KIND && typeof config.timeout === "string")
      checkLength(check, `${pointer}/config/timeout`, config.timeout, DURABLE_LIMITS.waitMs, "a wait");
    const bytes = bytesPort(spec, config);
    if (bytes && isStepKind(spec))
      check.report(
        "FLOW_DURABLE_STREAM",
        pointer,
        `${nodeLabel(node.id)} (${spec.kind}) outputs a stream on \`${bytes}\`; in a durable flow its outputs are a step's stored result, and a stream cannot be stored`,
        {
          hint: "ask the kind for a value (`type: json` / `text`, `responseType: json`), or move the streaming to a flow that is not durable",
        },
      );
    const stepTemplate = templates.find((t) => isStepKind(t.spec) || t.spec.ownStep === true);
    if (stepTemplate)
      check.report(
        "FLOW_DURABLE_MAP_STEPS",
        pointer,
        `each item of ${nodeLabel(node.id)} is a durable step (${stepTemplate.spec.kind}); an instance may run at most ${DURABLE_LIMITS.stepsPerInstance} steps`,
        { hint: "bound the items (a `slice` in the `items` expression), or hand large batches to a queue" },
      );
  });
  // A graph alone stays within the steps an instance may run (MAX_NODES is below the limit); map items may not.
  if (durable) checkTriggers(check);
}

function checkLength(check: FlowCheck, pointer: string, text: string, limitMs: number, what: string): void {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= limitMs) return;
  check.report(
    "FLOW_DURABLE_LIMIT",
    pointer,
    `${what} of ${text} is longer than Workflows allows (${formatDuration(limitMs)})`,
    {
      hint: `use at most ${formatDuration(limitMs)}, or chain waits`,
    },
  );
}

/** The first output port of the node that carries a stream with this config (an R2 body, a fetch body), if any. */
function bytesPort(spec: NodeKindSpec, config: Record<string, unknown>): string | undefined {
  if (typeof spec.outputs === "function") return undefined;
  return Object.keys(spec.outputs).find((port) => streamsOn(spec, port, config));
}

function checkTriggers(check: FlowCheck): void {
  check.doc.triggers.forEach((trigger, i) => {
    const pointer = `/triggers/${i}`;
    if (trigger.type === "http") {
      const problems: [string, string][] = [];
      if (trigger.response !== undefined && trigger.response !== "json")
        problems.push(["response", `\`response: ${trigger.response}\``]);
      if (trigger.body === "stream") problems.push(["body", "`body: stream`"]);
      if (trigger.onDisconnect !== undefined) problems.push(["onDisconnect", "`onDisconnect`"]);
      for (const [field, what] of problems)
        check.report(
          "FLOW_DURABLE_TRIGGER",
          `${pointer}/${field}`,
          `${what} does not fit a durable flow: its HTTP trigger answers 202 with the run id at once, and the run goes on as a Workflow instance`,
          { hint: `remove \`${field}\`; follow the run with \`GET /_flows/runs/:id\`` },
        );
    }
    if (trigger.type === "github" && trigger.ack === "queue")
      check.report(
        "FLOW_DURABLE_TRIGGER",
        `${pointer}/ack`,
        "`ack: queue` does not fit a durable flow: the delivery already starts a Workflow instance, which answers GitHub at once",
        { hint: "remove `ack` (and `queue`)" },
      );
  });
}
