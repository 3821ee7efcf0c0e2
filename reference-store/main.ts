// `npm run store`: the reference store alone. Settings come from the environment (see server.ts).
import { fileURLToPath } from "node:url";
import { createJsonLogger } from "./json-logger.js";
import { startStoreServer, storeServerOptionsFromEnv } from "./server.js";

export { startStoreServer, storeServerOptionsFromEnv, type StartStoreServerOptions, type StoreServer } from "./server.js";

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const logger = createJsonLogger();
  try {
    await startStoreServer({ ...storeServerOptionsFromEnv(process.env, logger), handleSignals: true });
  } catch (error) {
    logger.error({ err: error instanceof Error ? error.message : String(error) }, "could not start the store");
    process.exitCode = 1;
  }
}
