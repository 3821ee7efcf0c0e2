import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { startStoreProcess } from "./store-process.js";

// Runs the README's three-line contract test file as written against `npm run store` in a child
// process; only its config path is pointed at this repository's config.
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const block = /```ts contract-test\n([\s\S]*?)```/.exec(readme)?.[1];
if (block === undefined || !block.includes('config: "contract.json"')) throw new Error('README has no ```ts contract-test block with config: "contract.json"');
const generated = fileURLToPath(new URL("./.readme-contract.generated.ts", import.meta.url));
writeFileSync(generated, block.replace('config: "contract.json"', 'config: "fixtures/reference-store.contract.json"'));

const secret = "whsec_contract_over_http";
const store = await startStoreProcess(secret);
afterAll(async () => {
  rmSync(generated, { force: true });
  await store.stop();
});
process.env.WEBHOOK_BASE_URL = store.webhookBaseUrl;
process.env.VIZOCHOK_WEBHOOK_SECRET = secret;
await import(generated);
