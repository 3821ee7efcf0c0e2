import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { ReplayGuard, ReplayLookup, StoredAnswer } from "vizochok-merchant-kit";

export interface SqliteReplayGuardOptions {
  db: Database;
  now?: () => number;
  /**
   * A delivery still marked in progress after this long belongs to a process that died; its
   * re-delivery may run. Default 5,000 ms, VIZOCHOK's timeout: by then it has given up waiting.
   */
  abandonAfterMs?: number;
  /** Expired entries are deleted once every this many new deliveries. Default 256. */
  sweepEvery?: number;
}

interface Row {
  path: string;
  started_at: number;
  expires_at: number;
  status: number | null;
  body: string | null;
}

/**
 * A replay guard kept in the store's SQLite database, so every process serving one database file
 * recognises a re-delivery that another one answered.
 *
 * @example
 * createWebhookRouter({ secret, handlers, replayGuard: createSqliteReplayGuard({ db }) });
 */
export function createSqliteReplayGuard(options: SqliteReplayGuardOptions): ReplayGuard {
  const { db } = options;
  const now = options.now ?? Date.now;
  const abandonAfterMs = options.abandonAfterMs ?? 5_000;
  const sweepEvery = options.sweepEvery ?? 256;
  const hash = (key: string) => createHash("sha256").update(key).digest("base64url");

  const find = db.prepare<[string], Row>("SELECT path, started_at, expires_at, status, body FROM replay_guard WHERE key = ?");
  const claim = db.prepare<[string, string, number, number]>(`
    INSERT INTO replay_guard (key, path, started_at, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET path = excluded.path, started_at = excluded.started_at,
      expires_at = excluded.expires_at, status = NULL, body = NULL`);
  const complete = db.prepare<[number, string, string]>("UPDATE replay_guard SET status = ?, body = ? WHERE key = ?");
  const release = db.prepare<[string]>("DELETE FROM replay_guard WHERE key = ?");
  const sweep = db.prepare<[number]>("DELETE FROM replay_guard WHERE expires_at <= ?");
  let claims = 0;

  const begin = db.transaction((key: string, path: string, expiresAt: number): ReplayLookup => {
    const at = now();
    const row = find.get(key);
    if (row !== undefined && row.expires_at > at) {
      if (row.path !== path) return { state: "other_path" };
      if (row.status !== null) return { state: "done", answer: { status: row.status, body: row.body ?? "" } };
      if (at - row.started_at < abandonAfterMs) return { state: "pending" };
    }
    claim.run(key, path, at, expiresAt);
    if (++claims % sweepEvery === 0) sweep.run(at);
    return { state: "new" };
  });

  return {
    begin: (key, path, expiresAt) => begin.immediate(hash(key), path, expiresAt),
    complete(key, answer: StoredAnswer) {
      complete.run(answer.status, answer.body, hash(key));
    },
    release(key) {
      release.run(hash(key));
    },
  };
}
