import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

/**
 * Hand-written baselines for `bench/sse.ts`, the same wire work as the flows worker's stream: N SSE events `{ i }`
 * (id = sequence number, from 1), then a final `end` event.
 * - `GET /stream?n=N`: Hono's `streamSSE`, awaiting each `writeSSE` (the idiomatic way);
 * - `GET /raw?n=N`: a plain ReadableStream whose `start` enqueues each formatted event as it is produced, without
 *   waiting for the reader: the strategy of the flows host's `sseStream`.
 */
const app = new Hono();
const encoder = new TextEncoder();

app.get("/stream", (c) => {
  const n = Number(c.req.query("n") ?? "0");
  return streamSSE(c, async (stream) => {
    for (let i = 0; i < n; i++) await stream.writeSSE({ id: String(i + 1), data: JSON.stringify({ i }) });
    await stream.writeSSE({
      event: "end",
      id: String(n + 1),
      data: JSON.stringify({ status: "ok", count: n }),
    });
  });
});

app.get("/raw", (c) => {
  const n = Number(c.req.query("n") ?? "0");
  const events = (async function* () {
    for (let i = 0; i < n; i++) yield { i };
  })();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      void (async () => {
        let id = 0;
        for await (const event of events)
          controller.enqueue(encoder.encode(`id: ${++id}\ndata: ${JSON.stringify(event)}\n\n`));
        controller.enqueue(
          encoder.encode(
            `event: end\nid: ${id + 1}\ndata: ${JSON.stringify({ status: "ok", count: n })}\n\n`,
          ),
        );
        controller.close();
      })();
    },
  });
  return c.body(body, 200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
});

export default app;
