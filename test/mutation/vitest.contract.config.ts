import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

// The tests that kill the contract cases' mutants: the suite against deliberately broken
// backends (each must be caught) and against the reference store (nothing may fail).
export default defineConfig({
  ...base,
  test: {
    include: [
      "test/contract/broken-backends.test.ts",
      "test/contract/broken-backends-signature.test.ts",
      "test/contract/reference-store-in-process.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
