// A test file's store apps, closed after each test with their database directories. Kept out of
// helpers.ts: processes started outside the test runner import that file too.
import { join } from "node:path";
import { afterEach } from "vitest";
import type { StoreApp, StoreAppOptions } from "../../reference-store/app.js";
import { createTestApp, makeTempDir } from "./helpers.js";

/**
 * `start` makes a test app and `databaseFile` a database path in a new directory; after each
 * test the apps are closed and the directories removed.
 */
export function useTestApps(): { start(options?: Partial<StoreAppOptions>): StoreApp; databaseFile(): string } {
  const apps: StoreApp[] = [];
  const temps: (() => void)[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const remove of temps.splice(0)) remove();
  });
  return {
    start(options = {}) {
      const app = createTestApp(options);
      apps.push(app);
      return app;
    },
    databaseFile() {
      const temp = makeTempDir();
      temps.push(temp.remove);
      return join(temp.dir, "store.db");
    },
  };
}
