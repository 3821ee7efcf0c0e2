import type { Pool, PoolClient } from "pg";
import type { AuditEntry, AuditSink } from "../audit-log.js";

export interface PostgresAuditLog extends AuditSink {
  record(entry: AuditEntry): Promise<void>;
  /** Writes the row on `tx`, inside the change's own transaction. */
  recordIn(tx: PoolClient, entry: AuditEntry): Promise<void>;
  /** The latest entries, newest first. */
  recent(limit?: number): Promise<AuditEntry[]>;
}

const INSERT = `
  INSERT INTO webhook_audit (at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

/** U+0000 cannot be stored in PostgreSQL text; the row keeps a visible stand-in instead. */
const text = (value: string | null) => (value === null ? null : value.replaceAll("\u0000", "\uFFFD"));

const values = (e: AuditEntry) => [
  e.at, text(e.request_id), e.kind, text(e.action), text(e.store_id), text(e.session_id), text(e.sku), e.quantity, e.outcome, text(e.reason), e.latency_ms,
];

/**
 * The `webhook_audit` table in PostgreSQL: the same rows as the SQLite store's.
 *
 * @example
 * await createPostgresAuditLog(pool).recent(10);
 */
export function createPostgresAuditLog(pool: Pool): PostgresAuditLog {
  return {
    async record(entry) {
      await pool.query({ name: "audit.insert", text: INSERT, values: values(entry) });
    },
    async recordIn(tx, entry) {
      await tx.query({ name: "audit.insert", text: INSERT, values: values(entry) });
    },
    async recent(limit = 50) {
      const { rows } = await pool.query<AuditEntry>(
        `SELECT at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms
         FROM webhook_audit ORDER BY id DESC LIMIT $1`,
        [limit],
      );
      return rows;
    },
  };
}
