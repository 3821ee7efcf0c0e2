import { readFileSync } from "node:fs";

// The contract cases, mutated against the broken-backend tests (slow: each runs the whole suite).
const base = JSON.parse(readFileSync(new URL("./stryker.config.json", import.meta.url), "utf8"));

export default {
  ...base,
  mutate: ["src/contract/cases/*.ts"],
  vitest: { configFile: "test/mutation/vitest.contract.config.ts", related: false },
  timeoutMS: 60000,
  incrementalFile: "reports/stryker-incremental-contract.json",
  htmlReporter: { fileName: "reports/mutation-contract/index.html" },
  jsonReporter: { fileName: "reports/mutation-contract/mutation.json" },
};
