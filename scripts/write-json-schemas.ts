// Writes schemas/NAME.json from the zod schemas (npm run schemas); test/kit/json-schemas.test.ts
// fails when a checked-in file differs from what this would write.
import { mkdirSync, writeFileSync } from "node:fs";
import { JSON_SCHEMA_NAMES, jsonSchemaFor } from "../src/json-schema/index.js";

const dir = new URL("../schemas/", import.meta.url);
mkdirSync(dir, { recursive: true });
for (const name of JSON_SCHEMA_NAMES) {
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(jsonSchemaFor(name), null, 2)}\n`);
}
