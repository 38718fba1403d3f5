import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, type WorkerdServer } from "../../../bench/workerd.ts";
import { launchChromium } from "../../../test/chromium.ts";
import { serveContinuingFixture } from "../../../test/continuing-fixture.ts";

// A resumable stream end to end in real headless Chromium (Debian's package, driven by playwright-core): a page
// follows a long `onDisconnect: continue` run with the browser's own EventSource, the connection is cut mid-run
// (the Worker ends the response it was passing on), and the browser reconnects by itself with Last-Event-ID:
// the run goes on in its FlowsRuns object and the page ends with the run's final event, no id lost or repeated.
// Served by `workerd serve` (no proxy in front), on a port of its own.

let server: WorkerdServer;
let browser: Browser;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = join(ROOT, ".tmp", `continuing-browser-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  server = await serveContinuingFixture(dir, "browser-continuing-token-0123456");
  base = server.url;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  type: string;
  id: string;
}

describe("a resumable stream in a browser", () => {
  it("survives a cut connection: EventSource reconnects by itself, no id lost or repeated, ends with the final event", async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    // 30 chunks, one every 100 ms: about 3 s.
    await page.goto(`${base}page?steps=30&ms=100`);
    await page.waitForFunction(() => (window as unknown as { seen: Seen[] }).seen.length >= 12);
    const cut = (await (await fetch(`${base}_test/cut`, { method: "POST" })).json()) as { cut: number };
    expect(cut.cut).toBe(1);
    await page.waitForFunction(() => (window as unknown as { done: boolean }).done, undefined, {
      timeout: 30_000,
    });
    const state = await page.evaluate(() => {
      const w = window as unknown as { seen: Seen[]; opens: number; errors: number };
      return { seen: w.seen, opens: w.opens, errors: w.errors };
    });
    // One cut, so the browser opened the stream twice; the second time it sent Last-Event-ID.
    expect(state.opens).toBe(2);
    expect(state.errors).toBeGreaterThanOrEqual(1);
    const runIds = new Set(state.seen.map((e) => e.id.split(":")[0]));
    expect(runIds.size).toBe(1);
    const seqs = state.seen.map((e) => Number(e.id.split(":")[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(state.seen.filter((e) => e.type === "node.chunk")).toHaveLength(30);
    expect(state.seen.at(-1)?.type).toBe("end");
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);
});
