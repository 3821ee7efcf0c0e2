import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the kit by its package name, exactly as a retailer's code does.
export default defineConfig({
  resolve: {
    alias: {
      "vizochok-merchant-kit/testing": fileURLToPath(new URL("./src/testing/index.ts", import.meta.url)),
      "vizochok-merchant-kit/contract": fileURLToPath(new URL("./src/contract.ts", import.meta.url)),
      "vizochok-merchant-kit/express": fileURLToPath(new URL("./src/express.ts", import.meta.url)),
      "vizochok-merchant-kit/node": fileURLToPath(new URL("./src/node.ts", import.meta.url)),
      "vizochok-merchant-kit/web": fileURLToPath(new URL("./src/web.ts", import.meta.url)),
      "vizochok-merchant-kit": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/package/global-setup.ts", "test/browser/global-setup.ts"],
    testTimeout: 20_000,
    // expect.poll's own default (1 s) is shorter than a WebSocket frame can take on a loaded CI
    // machine; a poll that is met returns at once, so only a failing one waits this long.
    expect: { poll: { timeout: 10_000, interval: 20 } },
    hookTimeout: 30_000,
  },
});
