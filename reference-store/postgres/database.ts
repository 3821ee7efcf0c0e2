import pg from "pg";
import type { WebhookLogger } from "vizochok-merchant-kit";

export interface OpenPoolOptions {
  /** Connections per instance. Default 10. */
  max?: number;
  /** Where an idle connection's error is reported (without it, such an error would end the process). */
  logger?: WebhookLogger;
  /**
   * A transaction left idle this long is ended by the server, so a frozen process cannot keep
   * rows locked. Default 10,000 ms (twice VIZOCHOK's timeout).
   */
  idleInTransactionTimeoutMs?: number;
}

// bigint columns (quantities in thousandths, epoch milliseconds, counts) stay far below 2^53.
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A connection pool for the PostgreSQL store. The URL may pick a schema with libpq's `options`:
 * `postgres://user@host/db?options=-c%20search_path%3Dshop`.
 *
 * @example
 * const pool = openPool(process.env.DATABASE_URL!);
 */
export function openPool(url: string, options: OpenPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
    // A URL's own application_name wins, so one deployment's instances can be told apart.
    ...(!new URL(url).searchParams.has("application_name") && { application_name: "vizochok-reference-store" }),
  });
  pool.on("error", (error) => {
    options.logger?.error({ err: error.message }, "an idle database connection failed; it was dropped");
  });
  return pool;
}

/**
 * Runs `work` in a transaction on one of the pool's connections: COMMIT when it returns,
 * ROLLBACK when it throws (a connection whose ROLLBACK failed too is dropped, not reused).
 *
 * @example
 * await inTransaction(pool, (tx) => tx.query("UPDATE stock SET reserved_milli = 0"));
 */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  let failed: Error | undefined;
  try {
    await tx.query("BEGIN");
    const result = await work(tx);
    await tx.query("COMMIT");
    return result;
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
    await tx.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    tx.release(failed);
  }
}

/** A database error's SQLSTATE, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** PostgreSQL text cannot hold U+0000; a value with one can never match a stored row. */
export function hasNul(...values: (string | undefined)[]): boolean {
  return values.some((value) => value !== undefined && value.includes("\u0000"));
}
