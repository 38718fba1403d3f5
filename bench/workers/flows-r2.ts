import { R2_KINDS } from "../../capabilities/r2/kinds.ts";
import type { FlowDocument } from "../../flows/ir/types.ts";
import { createWorker } from "../../hosts/workers/index.ts";
import { BUILTIN_KINDS, createRegistry } from "../../kernel/index.ts";

/**
 * Bench worker for `bench/streaming.ts`: the flows runtime streaming objects into and out of R2.
 * - `PUT /files/:name`: the request body (`body: stream`) into `r2.put`, sized by the `x-size` header;
 * - `GET /files/:name`: `r2.get` → `respond`, the body passed through the kernel's bounded ChunkStream.
 */
const bindings = { BUCKET: { type: "r2", bucket: "bench" } } as const;
const key = "${{ 'files/' + trigger.params.name }}";

const flows: FlowDocument[] = [
  {
    flows: 1,
    id: "upload",
    version: "1.0.0",
    bindings,
    triggers: [{ type: "http", method: "PUT", path: "/files/:name", body: "stream", maxBodySize: "200mb" }],
    nodes: [
      {
        id: "put",
        kind: "r2.put",
        inputs: { key, body: "${{ trigger.body }}", size: "${{ trigger.headers['x-size'] }}" },
      },
    ],
    output: "put",
  },
  {
    flows: 1,
    id: "download",
    version: "1.0.0",
    bindings,
    triggers: [{ type: "http", method: "GET", path: "/files/:name" }],
    nodes: [
      { id: "get", kind: "r2.get", inputs: { key } },
      { id: "reply", kind: "respond", inputs: { body: "${{ nodes.get.out }}" } },
    ],
  },
];

export default createWorker(flows, { registry: createRegistry(BUILTIN_KINDS, R2_KINDS), log: () => {} });
