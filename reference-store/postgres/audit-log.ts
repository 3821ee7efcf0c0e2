import type { Pool, PoolClient } from "pg";
import type { WebhookLogger } from "vizochok-merchant-kit";
import type { AuditEntry, AuditSink } from "../audit-log.js";
import { createJsonLogger } from "../json-logger.js";

export interface PostgresAuditLog extends AuditSink {
  record(entry: AuditEntry): Promise<void>;
  /** Writes the row on `tx`, inside the change's own transaction. */
  recordIn(tx: PoolClient, entry: AuditEntry): Promise<void>;
  /** Keeps a read's row (products, cart GET) for the next batch. */
  defer(entry: AuditEntry): void;
  /** Starts writing the kept rows now. */
  flush(): void;
  /** Writes the kept rows and waits until every batch is in. */
  drain(): Promise<void>;
  /** The latest entries, newest first. */
  recent(limit?: number): Promise<AuditEntry[]>;
}

export interface PostgresAuditLogOptions {
  /** Kept rows are written at least this often. Default 1,000 ms. */
  flushMs?: number;
  /** A batch this large is written at once. Default 500 rows. */
  maxBatch?: number;
  /** Where a batch that could not be written is reported. Default: JSON lines on stdout. */
  logger?: WebhookLogger;
}

const COLUMNS = "at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms";
const INSERT = `INSERT INTO webhook_audit (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
const INSERT_BATCH = `
  INSERT INTO webhook_audit (${COLUMNS})
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::text[], $10::text[], $11::integer[])`;

/** U+0000 cannot be stored in PostgreSQL text; the row keeps a visible stand-in instead. */
const text = (value: string | null) => (value === null ? null : value.replaceAll("\u0000", "\uFFFD"));

const values = (e: AuditEntry) => [
  e.at, text(e.request_id), e.kind, text(e.action), text(e.store_id), text(e.session_id), text(e.sku), e.quantity, e.outcome, text(e.reason), e.latency_ms,
];

/**
 * The `webhook_audit` table in PostgreSQL: the same rows as the SQLite store's. A cart change's row
 * is written by the change's own transaction (`recordIn`); reads are kept and written in batches,
 * one statement per batch, at least every `flushMs` and on `drain()` (the app's `close()` calls
 * it). A crash loses at most the reads of the last `flushMs`; their answers changed nothing.
 *
 * @example
 * await createPostgresAuditLog(pool).recent(10);
 */
export function createPostgresAuditLog(pool: Pool, options: PostgresAuditLogOptions = {}): PostgresAuditLog {
  const flushMs = options.flushMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 500;
  const logger = options.logger ?? createJsonLogger();
  let pending: AuditEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writing = new Set<Promise<void>>();

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const rows = pending.map(values);
    pending = [];
    const columns = rows[0]!.map((_, column) => rows.map((row) => row[column]));
    const write = pool
      .query({ name: "audit.insertBatch", text: INSERT_BATCH, values: columns })
      .then(
        () => undefined,
        (error: unknown) =>
          logger.error({ rows: rows.length, err: error instanceof Error ? error.message : String(error) }, "audit rows for reads could not be written; the answers stood"),
      )
      .finally(() => writing.delete(write));
    writing.add(write);
  }

  async function drain(): Promise<void> {
    flush();
    await Promise.all(writing);
  }

  return {
    async record(entry) {
      await pool.query({ name: "audit.insert", text: INSERT, values: values(entry) });
    },
    async recordIn(tx, entry) {
      await tx.query({ name: "audit.insert", text: INSERT, values: values(entry) });
    },
    defer(entry) {
      pending.push(entry);
      if (pending.length >= maxBatch) flush();
      else timer ??= setTimeout(flush, flushMs).unref();
    },
    flush,
    drain,
    async recent(limit = 50) {
      await drain();
      const { rows } = await pool.query<AuditEntry>(`SELECT ${COLUMNS} FROM webhook_audit ORDER BY id DESC LIMIT $1`, [limit]);
      return rows;
    },
  };
}
