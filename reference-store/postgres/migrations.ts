import type { Pool } from "pg";
import { inTransaction } from "./database.js";

/**
 * PostgreSQL schema migrations, applied in order; `schema_migrations` records which have run.
 * Append; never edit. Tables mirror the SQLite store's (`../migrations.ts`), with the same
 * CHECKs, so both backends give the same answers. Everything lives in the connection's
 * `search_path` schema (`public` unless the URL says otherwise).
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: catalog, per-store prices and stock, carts, the audit log.
  `
  CREATE TABLE stores (
    store_id text PRIMARY KEY,
    name     text NOT NULL
  );

  CREATE TABLE products (
    sku                    text PRIMARY KEY,
    name                   text NOT NULL,
    brand                  text,
    category_path          text,
    unit                   text NOT NULL,
    quantity_step_milli    bigint NOT NULL CHECK (quantity_step_milli > 0),
    min_quantity_milli     bigint NOT NULL CHECK (min_quantity_milli > 0),
    max_per_customer_milli bigint CHECK (max_per_customer_milli > 0),
    image_url              text,
    is_active              boolean NOT NULL,
    search_text            text NOT NULL,  -- lower-cased name, brand, category and sku
    input                  jsonb NOT NULL  -- the full ProductInput
  );

  CREATE TABLE prices (
    store_id    text NOT NULL REFERENCES stores,
    sku         text NOT NULL REFERENCES products,
    price       double precision NOT NULL CHECK (price >= 0),
    promo_price double precision CHECK (promo_price >= 0),
    promo_label text,
    PRIMARY KEY (store_id, sku)
  );

  -- available = on_hand - reserved; the CHECK makes overselling impossible, whatever the code does.
  CREATE TABLE stock (
    store_id       text NOT NULL,
    sku            text NOT NULL,
    on_hand_milli  bigint NOT NULL CHECK (on_hand_milli >= 0),
    reserved_milli bigint NOT NULL DEFAULT 0,
    CHECK (reserved_milli BETWEEN 0 AND on_hand_milli),
    PRIMARY KEY (store_id, sku),
    FOREIGN KEY (store_id, sku) REFERENCES prices
  );

  CREATE TABLE carts (
    cart_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores,
    session_id text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (store_id, session_id)
  );
  CREATE INDEX carts_by_updated_at ON carts (updated_at);

  CREATE TABLE cart_lines (
    line_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- increasing: lines in the order added
    cart_id        bigint NOT NULL REFERENCES carts ON DELETE CASCADE,
    sku            text NOT NULL REFERENCES products,
    quantity_milli bigint NOT NULL CHECK (quantity_milli > 0),
    added_at       bigint NOT NULL,
    UNIQUE (cart_id, sku)
  );

  CREATE TABLE webhook_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         bigint NOT NULL,
    request_id text NOT NULL,
    kind       text NOT NULL,   -- products | cart | cart_get
    action     text,            -- add | remove | update_quantity | clear
    store_id   text NOT NULL,
    session_id text,
    sku        text,            -- for products: the requested SKUs, comma-separated
    quantity   double precision,
    outcome    text NOT NULL,   -- ok | rejected | failed | deadline_exceeded
    reason     text,
    latency_ms integer NOT NULL
  );
  `,
  // 2: the replay guard every instance shares. Keys are SHA-256 hashes of "timestamp.signature".
  `
  CREATE TABLE replay_guard (
    key        text PRIMARY KEY,
    path       text NOT NULL,
    claim      uuid NOT NULL,    -- the current owner's token; complete and release must match it
    started_at bigint NOT NULL,  -- when the first copy arrived (epoch ms)
    expires_at bigint NOT NULL,
    status     integer,          -- NULL while the delivery is being handled
    body       text
  );
  CREATE INDEX replay_guard_by_expiry ON replay_guard (expires_at);
  `,
  // 3: the identical-delivery rule: when the current claim was taken (a takeover renews it; the
  // first copy's arrival stays in started_at) and when the answer was handed back.
  `
  ALTER TABLE replay_guard ADD COLUMN claimed_at bigint, ADD COLUMN answered_at bigint;
  UPDATE replay_guard SET claimed_at = started_at;
  ALTER TABLE replay_guard ALTER COLUMN claimed_at SET NOT NULL;
  `,
];

/**
 * Brings the schema up to date. Safe when several instances start at once: the whole run holds a
 * transaction-scoped advisory lock on this schema, so one migrates while the others wait, then
 * find nothing left to do. Each migration commits with its row in `schema_migrations`.
 *
 * @example
 * await migratePostgres(pool); // → 1
 */
export async function migratePostgres(pool: Pool): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('vizochok-store migrations ' || current_schema(), 0))");
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>("SELECT COALESCE(MAX(version), 0)::integer AS version FROM schema_migrations");
    let version = rows[0]!.version;
    for (; version < POSTGRES_MIGRATIONS.length; version++) {
      await client.query(POSTGRES_MIGRATIONS[version]!);
      await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version + 1]);
    }
    return version;
  });
}
