/**
 * Bench worker for `bench/streaming.ts`, the baselines: the same two routes written by hand, the request body piped
 * into `BUCKET.put` through a FixedLengthStream and the object's body returned as the response, natively (workerd
 * pipes it without JavaScript) or with `?read=js` through a JavaScript pull loop.
 */
interface Env {
  BUCKET: R2Bucket;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const name = new URL(request.url).pathname.slice("/files/".length);
    if (request.method === "PUT") {
      // The client streams the body, so it sends its length in `x-size` (fetch sets no content-length then).
      const length = Number(request.headers.get("x-size"));
      const body = request.body!.pipeThrough(new FixedLengthStream(length));
      const object = await env.BUCKET.put(`files/${name}`, body);
      return Response.json({ key: object?.key, size: object?.size });
    }
    const object = await env.BUCKET.get(`files/${name}`);
    if (!object) return new Response("not found", { status: 404 });
    const headers = { "content-type": "application/octet-stream" };
    if (new URL(request.url).searchParams.get("read") !== "js") return new Response(object.body, { headers });
    // `?read=js`: every chunk passes through JavaScript, as it must in a runtime that looks at the stream.
    const reader = object.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const step = await reader.read();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { headers });
  },
} satisfies ExportedHandler<Env>;
