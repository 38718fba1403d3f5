/**
 * Soak worker for `bench/soak/flood.ts`: the floor of the flood's memory figure. It reads the body and answers 401,
 * nothing else, so its RSS growth under the same flood is what workerd itself (sockets, HTTP, the allocator and V8
 * heap sizing) adds, with no flows code at all.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response('{"error":{"code":"FLOOR"}}', { status: 401 });
  },
};
