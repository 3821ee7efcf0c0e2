import { createHash, randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import {
  DEFAULT_ABANDON_AFTER_MS,
  judgeDelivery,
  ReplayClaimLostError,
  type ReplayClaim,
  type ReplayDelivery,
  type ReplayGuard,
  type ReplayLookup,
  type StoredAnswer,
} from "vizochok-merchant-kit";

export interface SqliteReplayGuardOptions {
  db: Database;
  /** The store's clock: arrival, claim and answer times are all read from it. */
  now?: () => number;
  /**
   * A delivery still in flight after this long belongs to a process that died before anything
   * committed; a copy may take it over. Default 5,000 ms, VIZOCHOK's timeout.
   */
  abandonAfterMs?: number;
  /** Expired entries are deleted once every this many new deliveries. Default 8. */
  sweepEvery?: number;
  /**
   * A sweep deletes at most this many expired entries, oldest first. Default 32: at a steady rate
   * about `sweepEvery` expire between sweeps, so the table keeps up, and a backlog (after a
   * restart, or a burst) drains three times as fast as it builds.
   */
  sweepRows?: number;
}

/** The SQLite guard: the kit's `ReplayGuard`, plus the answer write a store makes with its change. */
export interface SqliteReplayGuard extends ReplayGuard {
  begin(delivery: ReplayDelivery): ReplayLookup;
  complete(claim: ReplayClaim, answer: StoredAnswer): void;
  release(claim: ReplayClaim): void;
  /**
   * Records the answer inside the caller's open transaction, fenced by the claim. Throws
   * `ReplayClaimLostError` when the claim is no longer the record's (another process took the
   * delivery over), so the transaction — the change with it — rolls back.
   */
  commitAnswer(claim: ReplayClaim, answer: StoredAnswer): void;
}

interface Row {
  path: string;
  claim: string;
  arrived_at: number;
  claimed_at: number;
  expires_at: number;
  status: number | null;
  body: string | null;
  answered_at: number | null;
}

/**
 * A replay guard kept in the store's SQLite database, so every process serving one database file
 * applies the same rule (see the kit's `ReplayGuard`) on the store's clock, and the reference
 * store records each answer in the transaction that makes its change.
 *
 * @example
 * const replayGuard = createSqliteReplayGuard({ db });
 * createWebhookRouter({ secret, handlers, replayGuard });
 */
export function createSqliteReplayGuard(options: SqliteReplayGuardOptions): SqliteReplayGuard {
  const { db } = options;
  const now = options.now ?? Date.now;
  const abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS;
  const sweepEvery = atLeastOne("sweepEvery", options.sweepEvery ?? 8);
  const sweepRows = atLeastOne("sweepRows", options.sweepRows ?? 32);
  // Keys are hashed: enough to recognise a copy, useless to replay.
  const hash = (key: string) => createHash("sha256").update(key).digest("base64url");

  const find = db.prepare<[string], Row>(
    "SELECT path, claim, arrived_at, claimed_at, expires_at, status, body, answered_at FROM replay_guard WHERE key = ?",
  );
  const start = db.prepare<[string, string, string, number, number, number]>(`
    INSERT INTO replay_guard (key, path, claim, arrived_at, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET path = excluded.path, claim = excluded.claim, arrived_at = excluded.arrived_at,
      claimed_at = excluded.claimed_at, expires_at = excluded.expires_at, status = NULL, body = NULL, answered_at = NULL`);
  const reclaim = db.prepare<[string, number, string]>(
    "UPDATE replay_guard SET claim = ?, claimed_at = ?, status = NULL, body = NULL, answered_at = NULL WHERE key = ?",
  );
  const commit = db.prepare<[number, string, string, string]>(
    "UPDATE replay_guard SET status = ?, body = ? WHERE key = ? AND claim = ? AND status IS NULL",
  );
  const complete = db.prepare<[number, string, number, string, string]>(
    "UPDATE replay_guard SET status = coalesce(status, ?), body = coalesce(body, ?), answered_at = ? WHERE key = ? AND claim = ?",
  );
  const release = db.prepare<[string, string]>("DELETE FROM replay_guard WHERE key = ? AND claim = ? AND status IS NULL");
  // A bounded sweep: every expired row every 256th claim was ~256 rows at random places in the
  // table, 3–4 ms of CPU and ~270 WAL pages in that one request; 4 rows in every claim instead
  // cost 1.7× the instructions per claim (docs/benchmarks.md). The subquery walks
  // replay_guard_by_expiry; an entry counts as absent from its expiry on (judgeDelivery:
  // expiresAt <= at is "new"), so nothing still inside its window goes.
  const sweep = db.prepare<[number, number]>(
    "DELETE FROM replay_guard WHERE key IN (SELECT key FROM replay_guard WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)",
  );
  let claims = 0;

  const begin = db.transaction((delivery: ReplayDelivery): ReplayLookup => {
    const at = now();
    const key = hash(delivery.key);
    const arrivedAt = at - Math.max(0, delivery.ageMs);
    const row = find.get(key);
    const record = row && {
      path: row.path,
      arrivedAt: row.arrived_at,
      claimedAt: row.claimed_at,
      expiresAt: row.expires_at,
      answer: row.status === null ? undefined : { status: row.status, body: row.body ?? "" },
      answeredAt: row.answered_at ?? undefined,
    };
    const verdict = judgeDelivery(record, { path: delivery.path, arrivedAt, identical: delivery.identical }, { at, abandonAfterMs });
    switch (verdict) {
      case "pending":
      case "duplicate":
      case "other_path":
        return { state: verdict };
      case "done":
        return { state: "done", answer: record!.answer! };
      case "reclaim": {
        const token = randomUUID();
        reclaim.run(token, at, key);
        return { state: "new", claim: { key: delivery.key, token } };
      }
      case "new": {
        const token = randomUUID();
        start.run(key, delivery.path, token, arrivedAt, at, delivery.expiresAt);
        if (++claims % sweepEvery === 0) sweep.run(at, sweepRows);
        return { state: "new", claim: { key: delivery.key, token } };
      }
    }
  });

  return {
    begin: (delivery) => begin.immediate(delivery),
    commitAnswer(claim, answer) {
      if (commit.run(answer.status, answer.body, hash(claim.key), claim.token).changes !== 1) throw new ReplayClaimLostError();
    },
    complete(claim, answer) {
      complete.run(answer.status, answer.body, now(), hash(claim.key), claim.token);
    },
    release(claim) {
      release.run(hash(claim.key), claim.token);
    },
  };
}

function atLeastOne(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number, at least 1; got ${value}`);
  return value;
}
