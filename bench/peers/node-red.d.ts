/** The part of Node-RED's embedding API (`lib/red.js`, which ships no types) that `node-red-server.ts` uses. */
declare module "node-red" {
  import type { IncomingMessage, Server, ServerResponse } from "node:http";

  const RED: {
    init(server: Server, settings: Record<string, unknown>): void;
    start(): Promise<void>;
    stop(): Promise<void>;
    /** The express app of the HTTP nodes, under `httpNodeRoot`. */
    httpNode: (request: IncomingMessage, response: ServerResponse) => void;
    /** Runtime events (`flows:started`, …). */
    events: { once(event: string, listener: (...args: unknown[]) => void): void };
  };
  export default RED;
}
