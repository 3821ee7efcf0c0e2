import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the kit by its package name, exactly as a retailer's code does.
export default defineConfig({
  resolve: {
    alias: {
      "vizochok-merchant-kit/testing": fileURLToPath(new URL("./src/testing/index.ts", import.meta.url)),
      "vizochok-merchant-kit": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/package/global-setup.ts", "test/browser/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
