import { newRunId } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";
import { errorResponse } from "../responses.ts";
import { runsRefusal } from "../runs/auth.ts";

/**
 * The Worker `flows dev` runs beside the packaged one, for `flows trigger queue`: `POST
 * /_flows/dev/queues/<queue>` sends the body to that local queue as a producer would, and the packaged Worker's
 * consumer then takes it from Miniflare's queue broker (batching, retries, dead-letter queue as configured). The
 * deployed Worker has no such route; only `flows dev` serves this one, behind the run API's token (a message starts
 * a run).
 */

/** The path prefix it answers under (Miniflare routes it here, everything else to the packaged Worker). */
export const DEV_QUEUES_PATH = "/_flows/dev/queues/";
/** The binding holding `{ <queue name>: <producer binding name> }` as JSON. */
export const DEV_QUEUES_BINDING = "FLOWS_DEV_QUEUES";
/** Queues limit a message's delay to 12 hours. */
const MAX_DELAY_SECONDS = 43_200;

type QueueContentType = "json" | "text" | "bytes";

interface Producer {
  send(body: unknown, options?: { contentType?: QueueContentType; delaySeconds?: number }): Promise<unknown>;
}

/** The message a request carries: JSON (parsed), a text type (as text), else its bytes. */
async function messageOf(
  request: Request,
  runId: string,
): Promise<{ body: unknown; contentType: QueueContentType } | Response> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    const text = await request.text();
    try {
      return { body: JSON.parse(text), contentType: "json" };
    } catch (error) {
      return errorResponse(
        hostError("BODY_INVALID_JSON", `the message is not valid JSON: ${(error as Error).message}`),
        runId,
      );
    }
  }
  if (type.startsWith("text/")) return { body: await request.text(), contentType: "text" };
  return { body: await request.arrayBuffer(), contentType: "bytes" };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const runId = newRunId();
    const url = new URL(request.url);
    if (!url.pathname.startsWith(DEV_QUEUES_PATH))
      return errorResponse(hostError("ROUTE_NOT_FOUND", `no route ${url.pathname}`), runId);
    const refused = await runsRefusal(request, env, runId);
    if (refused) return refused;
    if (request.method !== "POST")
      return errorResponse(
        hostError("METHOD_NOT_ALLOWED", `${request.method} ${url.pathname}: send the message with POST`, {
          allow: ["POST"],
        }),
        runId,
        { allow: "POST" },
      );
    const producers = JSON.parse(String(env[DEV_QUEUES_BINDING] ?? "{}")) as Record<string, string>;
    const queue = decodeURIComponent(url.pathname.slice(DEV_QUEUES_PATH.length));
    const binding = producers[queue];
    if (binding === undefined)
      return errorResponse(
        hostError(
          "QUEUE_NOT_FOUND",
          Object.keys(producers).length === 0
            ? `no flow consumes a queue here (\`${queue}\` asked)`
            : `no flow consumes queue \`${queue}\`: the consumed queues are ${Object.keys(producers).join(", ")}`,
          { queue, queues: Object.keys(producers) },
        ),
        runId,
      );
    const delay = url.searchParams.get("delaySeconds");
    const delaySeconds = delay === null ? undefined : Number(delay);
    if (
      delaySeconds !== undefined &&
      !(Number.isInteger(delaySeconds) && delaySeconds >= 0 && delaySeconds <= MAX_DELAY_SECONDS)
    )
      return errorResponse(
        hostError(
          "RUNS_QUERY_INVALID",
          `delaySeconds must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}`,
        ),
        runId,
      );
    const message = await messageOf(request, runId);
    if (message instanceof Response) return message;
    await (env[binding] as Producer).send(message.body, {
      contentType: message.contentType,
      ...(delaySeconds ? { delaySeconds } : {}),
    });
    return json(202, { queue, contentType: message.contentType, ...(delaySeconds ? { delaySeconds } : {}) });
  },
};
