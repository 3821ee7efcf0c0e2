import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

/** The browser the tests drive: `CHROMIUM_PATH`, else Debian's Chromium (installed by `.ci/run`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Why the browser tests cannot run on this machine, or `undefined` when they can. */
export const chromiumMissing: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`;

/** Skipped with that reason locally; under `CI=true` a missing browser fails the tests instead. */
export const skipBrowserTests = chromiumMissing !== undefined && process.env.CI !== "true";

/** The suffix a browser suite's title carries when it is skipped, so the reason shows in the report. */
export const skippedBecause = skipBrowserTests ? ` (skipped: ${chromiumMissing})` : "";

export interface LaunchedChromium {
  /** A fresh context: its own cookies, localStorage and sessionStorage, nothing shared with others. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Chromium in headless mode; every context it opens starts with empty storage. */
export async function launchChromium(): Promise<LaunchedChromium> {
  if (chromiumMissing !== undefined) throw new Error(`Browser tests cannot run: ${chromiumMissing}`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    newContext: () => browser.newContext({ viewport: { width: 1400, height: 900 } }),
    close: () => browser.close(),
  };
}
