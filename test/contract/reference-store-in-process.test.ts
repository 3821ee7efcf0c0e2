import * as vitest from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { defineContractSuite } from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";

const store = createStoreApp({ secret: "whsec_test", databasePath: ":memory:", logger: silentLogger });
vitest.afterAll(() => store.close());
defineContractSuite(vitest, { app: store.app, basePath: "/api/vizochok", secret: "whsec_test", config: "fixtures/reference-store.contract.json" });
