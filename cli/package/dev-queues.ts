import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEV_QUEUES_BINDING, DEV_QUEUES_PATH } from "../../hosts/workers/dev/queue-sender.ts";
import { ADMIN_TOKEN_BINDING } from "../../hosts/workers/viewer/auth.ts";
import { bundle } from "./bundle.ts";
import { COMPATIBILITY_DATE } from "./config.ts";
import { RUNTIME_PACKAGE } from "./entry.ts";

/**
 * The second Worker of a `flows dev`: the queue sender (`hosts/workers/dev/queue-sender.ts`), bundled into `out`
 * and given a producer binding for every queue the packaged Worker consumes, so that `flows trigger queue` can put
 * a message on a local queue. Miniflare routes `/_flows/dev/queues/*` to it, everything else to the packaged
 * Worker (the first); both share Miniflare's queue broker.
 */

const ENTRY = "dev-queues.entry.js";
const SCRIPT = "dev-queues.js";
export const DEV_QUEUES_WORKER = "flows-dev-queues";

/** Bundles the sender into `out` (once per `flows dev`: it does not depend on the flows). */
export async function bundleQueueSender(out: string): Promise<string> {
  await writeFile(
    join(out, ENTRY),
    `export { default } from "${RUNTIME_PACKAGE}/hosts/workers/dev/queue-sender";\n`,
  );
  const script = join(out, SCRIPT);
  await bundle(join(out, ENTRY), script, false);
  return script;
}

/**
 * Miniflare (v4 shape) options of the sender for the packaged Worker's options `worker`: one producer binding per
 * consumed queue (`queueConsumers`' keys), the map from queue to binding, and the run API's token.
 */
export function queueSenderOptions(
  script: string,
  worker: Record<string, unknown>,
  token: string,
): Record<string, unknown> {
  const queues = Object.keys((worker.queueConsumers as Record<string, unknown> | undefined) ?? {}).sort();
  const producers = Object.fromEntries(queues.map((queue, i) => [`QUEUE_${i}`, { queueName: queue }]));
  const map = Object.fromEntries(queues.map((queue, i) => [queue, `QUEUE_${i}`]));
  return {
    name: DEV_QUEUES_WORKER,
    modules: true,
    scriptPath: script,
    // Module names are relative to it: from elsewhere (a `--out` outside the working directory) they would start
    // with `..`, which workerd fails to load.
    modulesRoot: dirname(script),
    compatibilityDate: COMPATIBILITY_DATE,
    routes: [`*${DEV_QUEUES_PATH}*`],
    bindings: { [ADMIN_TOKEN_BINDING]: token, [DEV_QUEUES_BINDING]: JSON.stringify(map) },
    queueProducers: producers,
  };
}
