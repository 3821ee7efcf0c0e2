import type { Database } from "better-sqlite3";

/**
 * Schema migrations, applied in order. `PRAGMA user_version` records how many have run, so a
 * database only ever moves forward and running `migrate` again is a no-op. Append; never edit.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: catalog, per-store prices and stock, carts.
  `
  CREATE TABLE stores (
    store_id TEXT PRIMARY KEY,
    name     TEXT NOT NULL
  ) STRICT;

  CREATE TABLE products (
    sku                   TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    brand                 TEXT,
    category_path         TEXT,
    unit                  TEXT NOT NULL,
    quantity_step_milli   INTEGER NOT NULL CHECK (quantity_step_milli > 0),
    min_quantity_milli    INTEGER NOT NULL CHECK (min_quantity_milli > 0),
    max_per_customer_milli INTEGER CHECK (max_per_customer_milli > 0),
    image_url             TEXT,
    is_active             INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    search_text           TEXT NOT NULL,  -- lower-cased name, brand, category and sku
    input                 TEXT NOT NULL   -- the full ProductInput as JSON
  ) STRICT;

  CREATE TABLE prices (
    store_id    TEXT NOT NULL REFERENCES stores,
    sku         TEXT NOT NULL REFERENCES products,
    price       REAL NOT NULL CHECK (price >= 0),
    promo_price REAL CHECK (promo_price >= 0),
    promo_label TEXT,
    PRIMARY KEY (store_id, sku)
  ) STRICT, WITHOUT ROWID;

  -- available = on_hand - reserved; the CHECK makes overselling impossible, whatever the code does.
  CREATE TABLE stock (
    store_id       TEXT NOT NULL,
    sku            TEXT NOT NULL,
    on_hand_milli  INTEGER NOT NULL CHECK (on_hand_milli >= 0),
    reserved_milli INTEGER NOT NULL DEFAULT 0 CHECK (reserved_milli >= 0 AND reserved_milli <= on_hand_milli),
    PRIMARY KEY (store_id, sku),
    FOREIGN KEY (store_id, sku) REFERENCES prices
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE carts (
    cart_id    INTEGER PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores,
    session_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (store_id, session_id)
  ) STRICT;
  CREATE INDEX carts_by_updated_at ON carts (updated_at);

  CREATE TABLE cart_lines (
    line_id        INTEGER PRIMARY KEY,  -- increasing: lines are shown in the order they were added
    cart_id        INTEGER NOT NULL REFERENCES carts ON DELETE CASCADE,
    sku            TEXT NOT NULL REFERENCES products,
    quantity_milli INTEGER NOT NULL CHECK (quantity_milli > 0),
    added_at       INTEGER NOT NULL,
    UNIQUE (cart_id, sku)
  ) STRICT;
  `,
  // 2: the audit log of webhook decisions and the shared replay guard.
  `
  CREATE TABLE webhook_audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- products | cart | cart_get
    action     TEXT,            -- add | remove | update_quantity | clear
    store_id   TEXT NOT NULL,
    session_id TEXT,
    sku        TEXT,            -- for products: the requested SKUs, comma-separated
    quantity   REAL,
    outcome    TEXT NOT NULL,   -- ok | rejected | failed | deadline_exceeded
    reason     TEXT,
    latency_ms INTEGER NOT NULL
  ) STRICT;

  -- Keys are SHA-256 hashes of "timestamp.signature": enough to spot a re-delivery, useless to replay.
  CREATE TABLE replay_guard (
    key        TEXT PRIMARY KEY,
    path       TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status     INTEGER,         -- NULL while the first delivery is being handled
    body       TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX replay_guard_by_expiry ON replay_guard (expires_at);
  `,
  // 3: the replay guard's claim token (fences every write about a delivery), the first copy's
  // arrival, and when the answer was handed back. A committed answer keeps answering copies.
  `
  CREATE TABLE replay_guard_next (
    key         TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    claim       TEXT NOT NULL,     -- the token of the request that holds the delivery now
    arrived_at  INTEGER NOT NULL,  -- when the first copy arrived
    claimed_at  INTEGER NOT NULL,  -- when the current claim was taken (a takeover renews it)
    expires_at  INTEGER NOT NULL,
    status      INTEGER,           -- NULL until an answer commits (with the change it answers)
    body        TEXT,
    answered_at INTEGER            -- NULL until the answer was handed back
  ) STRICT, WITHOUT ROWID;
  INSERT INTO replay_guard_next (key, path, claim, arrived_at, claimed_at, expires_at, status, body)
    SELECT key, path, '', started_at, started_at, expires_at, status, body FROM replay_guard;
  DROP TABLE replay_guard;
  ALTER TABLE replay_guard_next RENAME TO replay_guard;
  CREATE INDEX replay_guard_by_expiry ON replay_guard (expires_at);
  `,
];

/**
 * Brings the schema up to date. Safe to call from several processes at once: each step runs in
 * an IMMEDIATE transaction that re-reads the version first.
 *
 * @example
 * migrate(db); // → 3
 */
export function migrate(db: Database): number {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  for (;;) {
    const applied = db
      .transaction(() => {
        const current = version();
        const next = MIGRATIONS[current];
        if (next === undefined) return false;
        db.exec(next);
        db.pragma(`user_version = ${current + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return version();
  }
}
