import { createHash, randomUUID } from "node:crypto";
import type { Pool } from "pg";
import type { ReplayGuard, ReplayLookup, StoredAnswer } from "vizochok-merchant-kit";

export interface PostgresReplayGuardOptions {
  pool: Pool;
  now?: () => number;
  /**
   * A delivery still marked in progress after this long belongs to an instance that died; its
   * re-delivery may run. Default 5,000 ms, VIZOCHOK's timeout.
   */
  abandonAfterMs?: number;
  /** Expired entries are deleted once every this many new deliveries (per instance). Default 256. */
  sweepEvery?: number;
}

/**
 * Claims a key in one statement: a row comes back when this delivery is new (no entry, an expired
 * one, or one left in progress past the takeover window on the same path); the claim token it
 * carries is what `complete` and `release` must show, so a stale owner cannot undo a takeover.
 */
const CLAIM = `
  INSERT INTO replay_guard AS g (key, path, claim, started_at, expires_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (key) DO UPDATE SET path = EXCLUDED.path, claim = EXCLUDED.claim, started_at = EXCLUDED.started_at,
    expires_at = EXCLUDED.expires_at, status = NULL, body = NULL
  WHERE g.expires_at <= EXCLUDED.started_at
    OR (g.status IS NULL AND g.path = EXCLUDED.path AND g.started_at <= EXCLUDED.started_at - $6::bigint)
  RETURNING claim`;

/**
 * A replay guard in the store's PostgreSQL database, shared by every instance on it.
 *
 * @example
 * createWebhookRouter({ secret, handlers, replayGuard: createPostgresReplayGuard({ pool }) });
 */
export function createPostgresReplayGuard(options: PostgresReplayGuardOptions): ReplayGuard {
  const { pool } = options;
  const now = options.now ?? Date.now;
  const abandonAfterMs = options.abandonAfterMs ?? 5_000;
  const sweepEvery = options.sweepEvery ?? 256;
  const hash = (key: string) => createHash("sha256").update(key).digest("base64url");
  /** The claim this instance holds for each key it is handling. */
  const claims = new Map<string, string>();
  let begun = 0;

  return {
    async begin(key, path, expiresAt): Promise<ReplayLookup> {
      const hashed = hash(key);
      for (;;) {
        const at = now();
        const claim = randomUUID();
        const claimed = await pool.query({ name: "guard.claim", text: CLAIM, values: [hashed, path, claim, at, expiresAt, abandonAfterMs] });
        if (claimed.rowCount === 1) {
          claims.set(key, claim);
          if (++begun % sweepEvery === 0) await pool.query("DELETE FROM replay_guard WHERE expires_at <= $1", [at]);
          return { state: "new" };
        }
        const { rows } = await pool.query<{ path: string; status: number | null; body: string | null }>({
          name: "guard.find",
          text: "SELECT path, status, body FROM replay_guard WHERE key = $1",
          values: [hashed],
        });
        const row = rows[0];
        // Deleted in between (released or swept): claim again.
        if (row === undefined) continue;
        if (row.path !== path) return { state: "other_path" };
        if (row.status !== null) return { state: "done", answer: { status: row.status, body: row.body ?? "" } };
        return { state: "pending" };
      }
    },
    async complete(key, answer: StoredAnswer) {
      const claim = claims.get(key);
      claims.delete(key);
      if (claim === undefined) return;
      await pool.query({
        name: "guard.complete",
        text: "UPDATE replay_guard SET status = $3, body = $4 WHERE key = $1 AND claim = $2 AND status IS NULL",
        values: [hash(key), claim, answer.status, answer.body],
      });
    },
    async release(key) {
      const claim = claims.get(key);
      claims.delete(key);
      if (claim === undefined) return;
      await pool.query({ name: "guard.release", text: "DELETE FROM replay_guard WHERE key = $1 AND claim = $2", values: [hash(key), claim] });
    },
  };
}
