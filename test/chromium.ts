import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, which `npm test` installs as root where it can (test/ensure-chromium.sh): never a download. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Headless Chromium for the browser tests, driven by playwright-core; a clear error when it is not installed.
 * @example const browser = await launchChromium(); const page = await browser.newPage()
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (npm test does it as root)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
