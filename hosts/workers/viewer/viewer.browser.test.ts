import { mkdirSync, statSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { launchChromium } from "../../../test/chromium.ts";

// The run viewer end to end in real headless Chromium (Debian's package, driven by playwright-core; never a browser
// download), against the example worker served by workerd. `npm test` installs Chromium first where it can
// (test/ensure-chromium.sh).

/** The viewer's bearer token: the FLOWS_ADMIN_TOKEN secret of the served worker. */
const TOKEN = "browser-test-viewer-token-0123";
const SCREENSHOT = "test-results/run-viewer.png";

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker;
let browser: Browser;
let base: string;

beforeAll(async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: { FLOWS_ADMIN_TOKEN: { type: "secret_text", value: TOKEN } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false },
  });
  await worker.ready;
  base = (await worker.url).origin;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await worker?.dispose();
});

/** Starts a run of `flow` through the viewer's API; its id. */
async function startRun(flow: string, trigger: unknown): Promise<string> {
  const response = await fetch(`${base}/_flows/api/flows/${flow}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ trigger }),
  });
  return ((await response.json()) as { runId: string }).runId;
}

/** Waits (up to 5 s) until the run store has the run: it is recorded once the run has ended, under waitUntil. */
async function untilStored(runId: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${base}/_flows/api/runs/${runId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await r.arrayBuffer();
    if (r.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the run viewer in a browser", () => {
  it("loads, runs a flow from the page, lights up every node, and saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=greet#token=${TOKEN}`);
    await page.waitForSelector('body[data-flow="greet"]');
    // The token left the address bar (and the history) at once; the tab keeps it.
    expect(new URL(page.url()).hash).toBe("");
    expect(new URL(page.url()).search).toBe("?flow=greet");
    expect(await page.evaluate(() => sessionStorage.getItem("flows-viewer-token"))).toBe(TOKEN);
    expect(Number(await page.getAttribute("body", "data-flows"))).toBeGreaterThan(5);
    const boxes = await page.$$eval("#graph g.node", (nodes) => nodes.map((n) => n.getAttribute("data-id")));
    expect(boxes.length).toBeGreaterThan(2);

    await page.fill("#trigger", JSON.stringify({ body: { hour: 20, name: "Ada" } }));
    await page.click("#run");
    await page.waitForSelector('body[data-run-status="ok"]', { timeout: 15_000 });
    // Every node ended (done), or was skipped by its branch: none is left running.
    const states = await page.$$eval("#graph g.node", (nodes) =>
      nodes.map((n) => [n.getAttribute("data-id"), n.getAttribute("data-state")]),
    );
    expect(states.length).toBe(boxes.length);
    for (const [, state] of states) expect(["done", "skipped"]).toContain(state);
    expect(states.some(([, state]) => state === "done")).toBe(true);
    const rows = await page.$$eval("#timings tbody tr", (trs) => trs.length);
    expect(rows).toBe(states.length);
    expect(await page.textContent("#status")).toMatch(/^ok in \d+ ms$/);

    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows a map node's items as they come", async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=echo-stream#token=${TOKEN}`);
    await page.waitForSelector('body[data-flow="echo-stream"]');
    await page.fill("#trigger", JSON.stringify({ body: { count: 3 } }));
    await page.click("#run");
    await page.waitForSelector('body[data-run-status="ok"]', { timeout: 15_000 });
    const items = await page.textContent('#timings tr[data-node="events"] td.items');
    expect(items).toBe('3 items: [{"index":0,"of":3},{"index":1,"of":3},{"index":2,"of":3}]');
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows a stored run's map items from its history (its events kept in the run store)", async () => {
    const runId = await startRun("echo-stream", { body: { count: 2 } });
    await untilStored(runId);
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=echo-stream#token=${TOKEN}`);
    const row = `#history tr[data-run="${runId}"]`;
    await page.waitForSelector(row);
    await page.click(row);
    await page.waitForSelector(`body[data-run-id="${runId}"][data-run-status="ok"]`);
    expect(await page.textContent('#timings tr[data-node="events"] td.items')).toBe(
      '2 items: [{"index":0,"of":2},{"index":1,"of":2}]',
    );
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("follows a run by its id, and says so when the id is unknown", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/_flows/?flow=echo#token=${TOKEN}`);
    await page.waitForSelector('body[data-flow="echo"]');
    const runId = await startRun("echo", { body: { hi: 1 } });
    await page.fill("#runId", runId);
    await page.click("#follow");
    await page.waitForSelector('body[data-run-status="ok"]', { timeout: 15_000 });
    expect(await page.getAttribute("body", "data-run-id")).toBe(runId);

    await page.fill("#runId", "no-such-run");
    await page.click("#follow");
    await page.waitForSelector('body[data-run-status="lost"]', { timeout: 15_000 });
    await page.close();
  }, 60_000);

  it("lists a flow's recent runs from the run store and shows a failed one with its node's error", async () => {
    const runId = await startRun("files-download", { method: "GET", params: { name: "nowhere.txt" } });
    await untilStored(runId);
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=files-download#token=${TOKEN}`);
    const row = `#history tr[data-run="${runId}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent("#historySource")).toBe("(run store)");
    expect(await page.textContent(`${row} td:nth-child(2)`)).toBe("failed");
    await page.click(row);
    await page.waitForSelector(`body[data-run-id="${runId}"][data-run-status="failed"]`);
    expect(await page.textContent('#timings tr[data-node="missing"] td.error')).toBe(
      "FILE_NOT_FOUND: no file nowhere.txt",
    );
    expect(await page.getAttribute('#graph g.node[data-id="missing"]', "data-state")).toBe("error");
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("starts a durable run from the page, shows it waiting (in the history too), then done after its event", async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=approval#token=${TOKEN}`);
    await page.waitForSelector('body[data-flow="approval"]');
    await page.fill("#trigger", JSON.stringify({ body: { change: "from the viewer" } }));
    await page.click("#run");
    await page.waitForSelector('body[data-run-status="waiting"]', { timeout: 15_000 });
    const runId = (await page.getAttribute("body", "data-run-id"))!;
    expect(runId).toMatch(/^approval_/);
    expect(await page.textContent("#status")).toMatch(/^waiting for event decision until /);
    const row = `#history tr[data-run="${runId}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} td:nth-child(2)`)).toMatch(/^waiting for event decision until /);
    const sent = await fetch(`${base}/_flows/runs/${runId}/events/decision`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ approved: true, by: "the browser test" }),
    });
    expect(sent.status).toBe(202);
    // The page reads the run again every 2 s while it goes on.
    await page.waitForSelector(`body[data-run-id="${runId}"][data-run-status="ok"]`, { timeout: 15_000 });
    expect(await page.getAttribute('#graph g.node[data-id="settled"]', "data-state")).toBe("done");
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent === "ok",
      `${row} td:nth-child(2)`,
    );
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it("asks for the token without one, refuses a wrong one, and opens with the right one", async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await page.goto(`${base}/_flows/?flow=echo`);
    await page.waitForSelector('body[data-login="shown"]');
    expect(await page.isVisible("#login")).toBe(true);
    expect(await page.getAttribute("body", "data-flows")).toBeNull();

    await page.fill("#token", "not-the-token-at-all");
    await page.click("#loginForm button");
    await page.waitForSelector('body[data-login="shown"]');
    await page.waitForFunction(() => document.getElementById("loginError")?.textContent !== "");
    expect(await page.textContent("#loginError")).toBe(
      "VIEWER_UNAUTHORIZED: the bearer token is not the viewer's FLOWS_ADMIN_TOKEN",
    );
    expect(await page.getAttribute("body", "data-flows")).toBeNull();

    await page.fill("#token", TOKEN);
    await page.click("#loginForm button");
    await page.waitForSelector('body[data-flow="echo"]');
    expect(await page.isVisible("#login")).toBe(false);
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);
});
