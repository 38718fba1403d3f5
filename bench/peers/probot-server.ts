import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { createNodeMiddleware, createProbot, type Probot } from "probot";

/**
 * Child process for `bench/probot.ts`: a minimal Probot app on Node, served by Probot's own webhook middleware
 * (`createNodeMiddleware`, which verifies the signature over the raw body and runs the app's handlers before it
 * answers `200 ok`) in a plain `node:http` server on 127.0.0.1 (a free port, sent to the parent over IPC).
 *
 * The app does the same routing work as the flows webhook flow's routed flow (a label from the issue title), and
 * no GitHub API call (no network). `GET /handled` answers how many `issues.opened` deliveries reached the handler
 * and how many were labelled `bug`, so the bench can check that every 200 was really routed.
 *
 * Probot needs an App id and a private key to start: a throwaway 2048-bit RSA key is made here at run time and
 * never written anywhere. The process ends by itself when the parent goes away or after `BOUND_MS`.
 */

const SECRET = process.env.BENCH_WEBHOOK_SECRET ?? "bench-webhook-secret";
const BOUND_MS = 15 * 60_000;

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let handled = 0;
let bugs = 0;

const appFn = (app: Probot): void => {
  app.on("issues.opened", async (context) => {
    const issue = context.payload.issue;
    const label = issue.title.includes("bug") ? "bug" : "triage";
    handled++;
    if (label === "bug") bugs++;
  });
};

const probot = createProbot({
  overrides: { appId: 1, privateKey, secret: SECRET, logLevel: "fatal" },
});
const middleware = await createNodeMiddleware(appFn, { probot, webhooksPath: "/api/github/webhooks" });

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/handled") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ handled, bugs }));
    return;
  }
  void middleware(req, res, () => {
    res.writeHead(404);
    res.end();
  });
});

const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on("disconnect", stop);
setTimeout(stop, BOUND_MS).unref();

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
