import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import RED from "node-red";

/**
 * Child process for `bench/node-red.ts`: Node-RED embedded (`RED.init(server, settings)`, the documented way to
 * run it inside another app) in a `node:http` server on 127.0.0.1 (a free port, sent to the parent over IPC), the
 * editor and admin API off (`httpAdminRoot: false`), its userDir the temporary folder the parent passes in
 * `BENCH_NODE_RED_DIR` (the parent deletes it).
 *
 * Two HTTP flows, the equivalents of `bench/workers/flows-chain.ts`: `POST /chain1` and `POST /chain5`, each
 * `http in` → 1 or 5 `function` nodes (each `msg.payload = { n: msg.payload.n + 1 }`) → `http response`, which
 * answers the last payload as JSON. The process ends by itself when the parent goes away or after `BOUND_MS`.
 */

const BOUND_MS = 15 * 60_000;
const userDir = process.env.BENCH_NODE_RED_DIR;
if (!userDir) throw new Error("BENCH_NODE_RED_DIR is not set");
mkdirSync(userDir, { recursive: true });

/** `http in` → `count` function nodes → `http response`, on tab `tab`. */
function chain(tab: string, path: string, count: number): object[] {
  const id = (name: string): string => `${tab}-${name}`;
  const steps = Array.from({ length: count }, (_, i) => ({
    id: id(`step${i + 1}`),
    type: "function",
    z: tab,
    name: `step ${i + 1}`,
    func: "msg.payload = { n: msg.payload.n + 1 };\nreturn msg;",
    outputs: 1,
    timeout: 0,
    noerr: 0,
    initialize: "",
    finalize: "",
    libs: [],
    wires: [[i + 1 < count ? id(`step${i + 2}`) : id("out")]],
  }));
  return [
    { id: tab, type: "tab", label: path, disabled: false, info: "" },
    {
      id: id("in"),
      type: "http in",
      z: tab,
      name: "",
      url: path,
      method: "post",
      upload: false,
      swaggerDoc: "",
      wires: [[id("step1")]],
    },
    ...steps,
    { id: id("out"), type: "http response", z: tab, name: "", statusCode: "", headers: {}, wires: [] },
  ];
}

writeFileSync(
  join(userDir, "flows.json"),
  JSON.stringify([...chain("chain1", "/chain1", 1), ...chain("chain5", "/chain5", 5)]),
);

const server = createServer();
RED.init(server, {
  userDir,
  flowFile: "flows.json",
  httpAdminRoot: false,
  httpNodeRoot: "/",
  uiPort: 0,
  logging: { console: { level: "error", metrics: false, audit: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  functionExternalModules: false,
  credentialSecret: false,
});
// The express app of the HTTP nodes (`http in` routes under httpNodeRoot); exists once `RED.init` has run.
server.on("request", RED.httpNode);

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on("disconnect", stop);
setTimeout(stop, BOUND_MS).unref();

// `RED.start()` resolves before the flows (and so their `http in` routes) have started: wait for them too.
const flowsStarted = new Promise<void>((resolve) => RED.events.once("flows:started", () => resolve()));
await RED.start();
await flowsStarted;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
