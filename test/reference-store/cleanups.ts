import { afterEach } from "vitest";
import { makeTempDir } from "./helpers.js";

/**
 * `defer` queues a cleanup and `tempDir` makes a directory removed the same way; after each test
 * the cleanups run in reverse order, so a process started in a directory stops before it goes.
 */
export function useCleanups(): { defer(cleanup: () => unknown): void; tempDir(): string } {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    defer(cleanup) {
      cleanups.push(cleanup);
    },
    tempDir() {
      const temp = makeTempDir();
      cleanups.push(temp.remove);
      return temp.dir;
    },
  };
}
