import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

// The tests `npm run mutate` runs against the core's and the store's mutants: in-process and fast,
// no browser,
// no packed tarball, no child processes, no PostgreSQL. Same aliases as the main config; its
// `test` block is replaced whole (mergeConfig would append to its include list and setups).
export default defineConfig({
  ...base,
  test: {
    include: [
      "test/kit/*.test.ts",
      "test/contract/reference-store-in-process.test.ts",
      "test/reference-store/*.test.ts",
      "test/reliability/payload-too-large.test.ts",
      "test/reliability/ill-formed-strings.test.ts",
    ],
    exclude: [
      "test/kit/readme.test.ts",
      "test/kit/types.test.ts",
      "test/reference-store/postgres-*.test.ts",
      "test/reference-store/{concurrency,crash-recovery,demo-banner,demo-port-taken,readme,server,webhook-secret}.test.ts",
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
