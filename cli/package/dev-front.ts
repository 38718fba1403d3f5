import { connect, createServer, type Server, type Socket } from "node:net";

export interface DevFront {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/**
 * The socket `flows dev` serves on: a byte-for-byte TCP pipe to workerd (Miniflare's entry socket), one upstream
 * connection per client connection, so HTTP framing, bodies and answers are workerd's own. What it adds is the
 * client going away: a client that closes its connection (FIN, as `curl -m 1` or a closed EventSource do) makes
 * workerd see nothing until it writes, so the front resets the upstream connection instead, and workerd aborts
 * `request.signal` (with `enable_request_signal`) as the edge does on a deployed Worker. Like nginx, it takes a
 * client's FIN as the end of the connection: a client that half-closes and waits for the answer is not served.
 */
export function serveDevFront(ip: string, port: number, upstreamPort: () => number): Promise<DevFront> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: "127.0.0.1", port: upstreamPort(), noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const reset = () => {
      if (!upstream.destroyed) upstream.resetAndDestroy();
    };
    client.on("end", reset);
    client.on("error", reset);
    client.on("close", () => {
      sockets.delete(client);
      reset();
    });
    upstream.on("end", () => client.end());
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => {
      sockets.delete(upstream);
      if (!client.destroyed) client.end();
    });
    client.pipe(upstream, { end: false });
    upstream.pipe(client, { end: false });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, ip, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
