// `npm run store`: the reference store alone. Settings come from the environment (see server.ts):
// SQLite at DATABASE_PATH, or PostgreSQL when DATABASE_URL=postgres://… is set; with
// STORE_INSTANCES=N (PostgreSQL only), N instances share one port through node:cluster.
import cluster from "node:cluster";
import { fileURLToPath } from "node:url";
import { reportListening, runInstances } from "./cluster.js";
import { createJsonLogger } from "./json-logger.js";
import {
  isPostgresUrl,
  postgresStoreServerOptionsFromEnv,
  startPostgresStoreServer,
  startStoreServer,
  storeServerOptionsFromEnv,
} from "./server.js";
import { resolveWebhookSecret } from "./webhook-secret.js";

export {
  startPostgresStoreServer,
  startStoreServer,
  storeServerOptionsFromEnv,
  postgresStoreServerOptionsFromEnv,
  type StartPostgresStoreServerOptions,
  type StartStoreServerOptions,
  type StoreServer,
} from "./server.js";

/** `STORE_INSTANCES`: how many instances to run on one port (default 1). */
export function instancesFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env["STORE_INSTANCES"];
  const count = raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`STORE_INSTANCES must be a whole number from 1 to 64, got "${raw}"`);
  if (count > 1 && !isPostgresUrl(env["DATABASE_URL"])) {
    throw new Error("STORE_INSTANCES > 1 needs DATABASE_URL=postgres://…: instances share carts and the replay guard only through PostgreSQL");
  }
  return count;
}

async function main(): Promise<void> {
  const logger = createJsonLogger();
  const env = process.env;
  const instances = instancesFromEnv(env);
  if (instances > 1 && cluster.isPrimary) {
    // Resolved once here, so a generated secret is printed once and every instance gets the same.
    const secret = resolveWebhookSecret({ env, databasePath: env["DATABASE_PATH"] || "./data/store.db", logger });
    await runInstances({ count: instances, logger, env: { VIZOCHOK_WEBHOOK_SECRET: secret } });
    return;
  }
  const inCluster = cluster.isWorker;
  const server = isPostgresUrl(env["DATABASE_URL"])
    ? await startPostgresStoreServer({ ...postgresStoreServerOptionsFromEnv(env, logger), handleSignals: true, announce: !inCluster })
    : await startStoreServer({ ...storeServerOptionsFromEnv(env, logger), handleSignals: true });
  if (inCluster) reportListening(server.port, server.url);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await main();
  } catch (error) {
    createJsonLogger().error({ err: error instanceof Error ? error.message : String(error) }, "could not start the store");
    process.exitCode = 1;
  }
}
