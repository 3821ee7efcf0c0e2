import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

// The tests that kill the contract cases' mutants, one case at a time (contract-cases.mutation.ts:
// the broken-backend table of test/contract/defects.ts, so a mutant in one case runs only that
// case's tests), the reference store in-process (one test per case; nothing may fail), and
// configs without a cart GET webhook or without the optional SKUs.
export default defineConfig({
  ...base,
  test: {
    include: [
      "test/mutation/contract-cases.mutation.ts",
      "test/contract/reference-store-in-process.test.ts",
      "test/contract/no-cart-get.test.ts",
      "test/contract/minimal-config.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
