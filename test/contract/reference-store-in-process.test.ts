import * as vitest from "vitest";
import { defineContractSuite } from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";
import { silent } from "../kit/merchant.js";

const SECRET = "whsec_contract_reference_store";
const store = createStoreApp({ secret: SECRET, databasePath: ":memory:", logger: silent });
vitest.afterAll(() => store.close());

defineContractSuite(vitest, {
  name: "reference store, in-process",
  app: store.app,
  basePath: "/api/vizochok",
  secret: SECRET,
  config: "fixtures/reference-store.contract.json",
});
