import * as vitest from "vitest";
import { defineContractSuite } from "vizochok-merchant-kit/testing";
import { startStoreProcess, type StoreProcess } from "./store-process.js";

const SECRET = "whsec_contract_reference_store_http";
let store: StoreProcess;
vitest.beforeAll(async () => {
  store = await startStoreProcess(SECRET);
});
vitest.afterAll(() => store?.stop());

defineContractSuite(vitest, {
  name: "reference store over HTTP (npm run store in a child process)",
  url: () => store.webhookBaseUrl,
  secret: SECRET,
  config: "fixtures/reference-store.contract.json",
});
