import { connect, createServer, type Server, type Socket } from "node:net";
import { ExpectGate } from "./dev-expect.ts";

/** A connection workerd has closed is closed once its client has sent nothing for this long, ms… */
const LINGER_QUIET_MS = 100;
/** …and at the latest after this long. */
const LINGER_MS = 10_000;

export interface DevFront {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/**
 * The socket `flows dev` serves on: a TCP pipe to workerd (Miniflare's entry socket), one upstream connection per
 * client connection, so HTTP framing, bodies and answers are workerd's own; request bodies wait for workerd's
 * `100 Continue` (`dev-expect.ts`). What it adds is the client going away: a client that closes its connection (FIN, as `curl -m 1` or a closed EventSource do) makes
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
    // workerd is done with the connection (it may close, even reset it, while the client is still sending a body
    // it refused, e.g. after a 413): pass on what it answered, then read and drop the client's further bytes and
    // close only once it has been quiet for a moment ("lingering close"): closing while it still sends makes its
    // kernel answer with a reset, and clients (undici's fetch among them) then lose the answer they were given.
    let lingering = false;
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const linger = () => {
      if (lingering) return;
      lingering = true;
      client.resume();
      const close = () => client.end();
      quiet = setTimeout(close, LINGER_QUIET_MS);
      client.on("data", () => {
        clearTimeout(quiet);
        quiet = setTimeout(close, LINGER_QUIET_MS);
      });
      setTimeout(() => client.destroy(), LINGER_MS).unref();
    };
    upstream.on("end", linger);
    upstream.on("error", linger);
    upstream.on("close", () => {
      sockets.delete(upstream);
      linger();
    });
    const gate = new ExpectGate({
      toUpstream: (bytes) => {
        if (!upstream.destroyed && !upstream.write(bytes)) client.pause();
      },
      toClient: (bytes) => {
        if (!client.destroyed && !client.write(bytes)) upstream.pause();
      },
      pauseClient: () => client.pause(),
      resumeClient: () => client.resume(),
    });
    upstream.on("drain", () => client.resume());
    client.on("drain", () => upstream.resume());
    client.on("data", (bytes: Buffer) => {
      if (!lingering) gate.fromClient(bytes);
    });
    upstream.on("data", (bytes: Buffer) => gate.fromUpstream(bytes));
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
