import type { Database } from "better-sqlite3";
import express, { type Express } from "express";
import { createWebhookRouter, type IdenticalRequestPolicy, type WebhookLogger } from "vizochok-merchant-kit";
import { withAnswerRecord } from "./answer-record.js";
import { createAuditLog, withAudit, type AuditLog } from "./audit-log.js";
import { DEFAULT_CATALOG_PATH, loadCatalog, type Catalog } from "./catalog.js";
import { openDatabase, prepareDatabase } from "./database.js";
import { createStoreHandlers } from "./handlers.js";
import { createJsonLogger } from "./json-logger.js";
import { seedCatalog } from "./seed.js";
import { createSqliteReplayGuard } from "./sqlite-replay-guard.js";
import { createStore, type SqliteStore } from "./store.js";
import { createSqliteStorefrontCatalog, createStorefrontRouter } from "./storefront-api.js";
import { startWalCheckpointer } from "./wal-checkpointer.js";

/** Where the webhooks are mounted; VIZOCHOK is configured with these URLs. */
export const WEBHOOK_MOUNT = "/api/vizochok";

export interface StoreAppOptions {
  /** A file path, or ":memory:" (the default). Created, migrated and seeded as needed. */
  databasePath?: string | undefined;
  /** An already open database, used instead of `databasePath`; migrated and seeded, never closed. */
  db?: Database | undefined;
  /** The webhook secret, or several during a rotation (current first). */
  secret: string | readonly string[];
  now?: () => number;
  /** Idle carts expire after this long and their stock is released. Default 1 h. */
  cartTtlMs?: number;
  /** Answer `price_changed` when the agent's quoted price is stale. Default true. */
  checkPrices?: boolean;
  /** Time the store has to answer a webhook. Default 4,500 ms of VIZOCHOK's 5 s. */
  budgetMs?: number;
  logger?: WebhookLogger;
  /** A byte-identical cart POST within 1 s of the first, after its answer: run it (default) or answer 409. */
  identicalRequests?: IdenticalRequestPolicy;
  /** Loaded into an empty database: a catalog, a path to one, or `false`. Default `fixtures/catalog.json`. */
  seed?: Catalog | string | false;
}

export interface StoreApp {
  /** Express 5 app: webhooks under `/api/vizochok`, `GET /api/products`, `GET /api/cart`, `GET /healthz`. */
  app: Express;
  store: SqliteStore;
  db: Database;
  audit: AuditLog;
  /** Closes the database if the app opened it (after its WAL checkpointer thread stops). */
  close(): Promise<void>;
}

const DEFAULT_BUDGET_MS = 4_500;

/**
 * The reference store as an Express app. It has no catch-all route and serves no files, so more
 * routes and `express.static` can be added to `app` afterwards.
 *
 * @example
 * const { app } = createStoreApp({ databasePath: "./data/store.db", secret: process.env.VIZOCHOK_WEBHOOK_SECRET! });
 * app.listen(3000);
 */
export function createStoreApp(options: StoreAppOptions): StoreApp {
  const ownsDb = options.db === undefined;
  const db = options.db ?? openDatabase(options.databasePath ?? ":memory:");
  try {
    return build(db);
  } catch (error) {
    if (ownsDb) db.close();
    throw error;
  }

  function build(db: Database): StoreApp {
    if (!ownsDb) prepareDatabase(db);
    const seed = options.seed ?? DEFAULT_CATALOG_PATH;
    if (seed !== false) seedCatalog(db, typeof seed === "string" ? loadCatalog(seed) : seed);

    const now = options.now ?? Date.now;
    const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
    const store = createStore({
      db,
      now,
      ...(options.cartTtlMs !== undefined && { cartTtlMs: options.cartTtlMs }),
      ...(options.checkPrices !== undefined && { checkPrices: options.checkPrices }),
    });
    const logger = options.logger ?? createJsonLogger();
    const audit = createAuditLog(db, { logger });
    const replayGuard = createSqliteReplayGuard({ db, now });
    // One transaction for a cart change, its audit row and its recorded answer; the store's own
    // becomes a savepoint.
    const unit = db.transaction((work: () => unknown) => work());
    const app = express();
    app.disable("x-powered-by");
    app.use(
      WEBHOOK_MOUNT,
      createWebhookRouter({
        secret: options.secret,
        handlers: withAudit(withAnswerRecord(createStoreHandlers(store), replayGuard), {
          audit,
          now,
          budgetMs,
          logger,
          atomically: (work) => unit.immediate(work) as ReturnType<typeof work>,
        }),
        replayGuard,
        ...(options.identicalRequests !== undefined && { identicalRequests: options.identicalRequests }),
        budgetMs,
        now,
        logger,
      }),
    );
    app.use(createStorefrontRouter({ catalog: createSqliteStorefrontCatalog(db), store }));
    // A database the caller opened keeps SQLite's own checkpoints: its lifetime is theirs.
    const checkpointer = ownsDb ? startWalCheckpointer(db, { logger }) : undefined;
    let closed: Promise<void> | undefined;
    return {
      app,
      store,
      db,
      audit,
      close: () =>
        (closed ??= (async () => {
          audit.flush();
          await checkpointer?.stop();
          if (ownsDb && db.open) db.close();
        })()),
    };
  }
}
