import express, { type Express } from "express";
import type { Pool } from "pg";
import { createWebhookRouter } from "vizochok-merchant-kit";
import { WEBHOOK_MOUNT, type StoreAppOptions } from "../app.js";
import { withAudit, type AuditEntry } from "../audit-log.js";
import { DEFAULT_CATALOG_PATH, loadCatalog } from "../catalog.js";
import { createStoreHandlers } from "../handlers.js";
import { createJsonLogger } from "../json-logger.js";
import { createStorefrontRouter } from "../storefront-api.js";
import { createPostgresAuditLog, type PostgresAuditLog } from "./audit-log.js";
import { withinPostgresChange } from "./change-scope.js";
import { openPool } from "./database.js";
import { migratePostgres } from "./migrations.js";
import { createPostgresReplayGuard, withPostgresAnswerRecord } from "./replay-guard.js";
import { seedPostgresCatalog } from "./seed.js";
import { createPostgresStore, type PostgresStore } from "./store.js";
import { createPostgresStorefrontCatalog } from "./storefront-catalog.js";

export interface PostgresStoreAppOptions extends Omit<StoreAppOptions, "databasePath" | "db"> {
  /** `postgres://user@host:5432/db`; a schema may be chosen with `?options=-c%20search_path%3Dshop`. */
  databaseUrl?: string | undefined;
  /** An already open pool, used instead of `databaseUrl`; migrated and seeded, never closed. */
  pool?: Pool | undefined;
  /** Connections this instance may open. Default 10. */
  poolSize?: number;
  /** How often this instance releases expired carts in the background; 0 = only when a change or read meets one. Default 60 s. */
  sweepIntervalMs?: number;
}

export interface PostgresStoreApp {
  /** Express 5 app: webhooks under `/api/vizochok`, `GET /api/products`, `GET /api/cart`, `GET /healthz`. */
  app: Express;
  store: PostgresStore;
  pool: Pool;
  audit: PostgresAuditLog;
  /** Stops the background sweeper and closes the pool if the app opened it. */
  close(): Promise<void>;
}

const DEFAULT_BUDGET_MS = 4_500;

/**
 * The reference store over PostgreSQL, as an Express app: the same routes and answers as
 * `createStoreApp` (SQLite), safe for several instances on one database. Migrates and seeds on
 * start; instances starting at once take turns.
 *
 * @example
 * const { app } = await createPostgresStoreApp({ databaseUrl: process.env.DATABASE_URL!, secret });
 * app.listen(3000);
 */
export async function createPostgresStoreApp(options: PostgresStoreAppOptions): Promise<PostgresStoreApp> {
  const logger = options.logger ?? createJsonLogger();
  const ownsPool = options.pool === undefined;
  if (options.pool === undefined && options.databaseUrl === undefined) throw new Error("createPostgresStoreApp: give a databaseUrl or a pool");
  const pool = options.pool ?? openPool(options.databaseUrl!, { logger, ...(options.poolSize !== undefined && { max: options.poolSize }) });
  try {
    await migratePostgres(pool);
    const seed = options.seed ?? DEFAULT_CATALOG_PATH;
    if (seed !== false) await seedPostgresCatalog(pool, typeof seed === "string" ? loadCatalog(seed) : seed);
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }

  const now = options.now ?? Date.now;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const store = createPostgresStore({
    pool,
    now,
    ...(options.cartTtlMs !== undefined && { cartTtlMs: options.cartTtlMs }),
    ...(options.checkPrices !== undefined && { checkPrices: options.checkPrices }),
  });
  const audit = createPostgresAuditLog(pool, { logger });
  const replayGuard = createPostgresReplayGuard({ pool, now });
  const app = express();
  app.disable("x-powered-by");
  app.use(
    WEBHOOK_MOUNT,
    createWebhookRouter({
      secret: options.secret,
      handlers: withAudit(withPostgresAnswerRecord(createStoreHandlers(store), replayGuard), {
        audit,
        now,
        budgetMs,
        logger,
        // A change's audit row is written by the change's own transaction, before its COMMIT.
        withinChange: <A,>(work: () => A | Promise<A>, rowFor: (answer: A) => AuditEntry | undefined) =>
          withinPostgresChange(async (tx, answer) => {
            const row = rowFor(answer as A);
            if (row !== undefined) await audit.recordIn(tx, row);
          }, work),
      }),
      replayGuard,
      ...(options.identicalRequests !== undefined && { identicalRequests: options.identicalRequests }),
      budgetMs,
      now,
      logger,
    }),
  );
  app.use(createStorefrontRouter({ catalog: createPostgresStorefrontCatalog(pool), store }));

  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const sweeper =
    sweepIntervalMs > 0
      ? setInterval(() => {
          store.releaseExpiredCarts().catch((error: unknown) => {
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, "expired carts could not be released; next sweep retries");
          });
        }, sweepIntervalMs).unref()
      : undefined;

  let closed: Promise<void> | undefined;
  return {
    app,
    store,
    pool,
    audit,
    close: () =>
      (closed ??= (async () => {
        clearInterval(sweeper);
        await audit.drain();
        if (ownsPool) await pool.end();
      })()),
  };
}
