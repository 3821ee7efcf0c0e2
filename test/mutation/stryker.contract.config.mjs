import { readFileSync } from "node:fs";

// The contract cases, mutated against test/mutation/contract-cases.mutation.ts (each case against
// every broken backend, one case at a time) and the reference store in-process.
const base = JSON.parse(readFileSync(new URL("./stryker.config.json", import.meta.url), "utf8"));

// `--mutate src/contract/cases/cart.ts` (or a list of case files): only those groups' tests are
// registered; the test runners inherit this variable. Any other --mutate keeps every group.
const mutateArgument = process.argv[process.argv.indexOf("--mutate") + 1];
const groups = process.argv.includes("--mutate") ? mutateArgument?.split(",").map((file) => /^src\/contract\/cases\/([a-z-]+)\.ts$/.exec(file)?.[1]) : undefined;
if (groups !== undefined && groups.every((group) => group !== undefined && group !== "index")) process.env.CONTRACT_MUTATION_GROUPS = groups.join(",");

export default {
  ...base,
  mutate: ["src/contract/cases/*.ts"],
  vitest: { configFile: "test/mutation/vitest.contract.config.ts", related: false },
  timeoutMS: 60000,
  concurrency: 1,
  incrementalFile: "reports/stryker-incremental-contract.json",
  htmlReporter: { fileName: "reports/mutation-contract/index.html" },
  jsonReporter: { fileName: "reports/mutation-contract/mutation.json" },
};
