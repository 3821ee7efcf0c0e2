import { chromiumMissing, skipBrowserTests } from "./chromium.js";

/** Says once per run, before any result, that the browser tests will be skipped and why. */
export default function announceMissingBrowser(): void {
  if (skipBrowserTests) console.warn(`Browser tests skipped: ${chromiumMissing}. Under CI=true they fail instead.`);
}
