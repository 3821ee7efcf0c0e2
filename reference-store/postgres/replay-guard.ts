import { createHash, randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import {
  DEFAULT_ABANDON_AFTER_MS,
  judgeDelivery,
  ReplayClaimLostError,
  type ReplayClaim,
  type ReplayDelivery,
  type ReplayGuard,
  type ReplayLookup,
  type ReplayRecord,
  type StoredAnswer,
  type WebhookHandlers,
} from "vizochok-merchant-kit";
import { wrapCartChanges } from "../answer-record.js";
import { withinPostgresChange } from "./change-scope.js";

export interface PostgresReplayGuardOptions {
  pool: Pool;
  /** The store's clock: arrival, claim and answer times are all read from it. */
  now?: () => number;
  /**
   * A delivery still in flight after this long belongs to an instance that died before anything
   * committed; a copy may take it over. Default 5,000 ms, VIZOCHOK's timeout.
   */
  abandonAfterMs?: number;
  /** Expired entries are deleted once every this many new deliveries (per instance). Default 8. */
  sweepEvery?: number;
  /**
   * A sweep deletes at most this many expired entries, oldest first. Default 32: at a steady rate
   * about `sweepEvery` expire between sweeps, so the table keeps up, and a backlog (after a
   * restart, or a burst) drains three times as fast as it builds.
   */
  sweepRows?: number;
}

/** The kit's `ReplayGuard`, plus the answer write a change's own transaction makes. */
export interface PostgresReplayGuard extends ReplayGuard {
  /**
   * Records the answer on `tx`, inside the change's open transaction, fenced by the claim; throws
   * `ReplayClaimLostError` when another instance has taken the delivery over, so it rolls back.
   */
  commitAnswer(tx: PoolClient, claim: ReplayClaim, answer: StoredAnswer): Promise<void>;
}

interface Row {
  path: string;
  claim: string;
  started_at: string;
  claimed_at: string;
  expires_at: string;
  status: number | null;
  body: string | null;
  answered_at: string | null;
}

// Every write is a compare-and-set on what was read, so two instances judging one key at once
// cannot both claim it: the loser reads again.
const FIND = "SELECT path, claim, started_at, claimed_at, expires_at, status, body, answered_at FROM replay_guard WHERE key = $1";
const START = `
  INSERT INTO replay_guard (key, path, claim, started_at, claimed_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)
  ON CONFLICT (key) DO NOTHING`;
const RESTART = `
  UPDATE replay_guard SET path = $3, claim = $4, started_at = $5, claimed_at = $5, expires_at = $6, status = NULL, body = NULL, answered_at = NULL
  WHERE key = $1 AND claim = $2 AND expires_at <= $5`;
const RECLAIM = `
  UPDATE replay_guard SET claim = $3, claimed_at = $4, status = NULL, body = NULL, answered_at = NULL
  WHERE key = $1 AND claim = $2 AND status IS NOT DISTINCT FROM $5 AND answered_at IS NOT DISTINCT FROM $6`;
const COMMIT_ANSWER = "UPDATE replay_guard SET status = $3, body = $4 WHERE key = $1 AND claim = $2 AND status IS NULL";
const COMPLETE = `
  UPDATE replay_guard SET status = coalesce(status, $3), body = coalesce(body, $4), answered_at = $5
  WHERE key = $1 AND claim = $2`;
const RELEASE = "DELETE FROM replay_guard WHERE key = $1 AND claim = $2 AND status IS NULL";
// A bounded sweep, oldest first along replay_guard_by_expiry: no single delivery pays for every
// row that expired since the last one. An entry counts as absent from its expiry on
// (judgeDelivery: expiresAt <= at is "new"), so nothing still inside its window goes. A row another
// instance holds (restarting that very delivery, or sweeping it) is skipped, not waited for; the
// lock is taken on the row's latest version, so one restarted meanwhile is no longer expired and
// stays.
const SWEEP = `
  DELETE FROM replay_guard WHERE key IN (
    SELECT key FROM replay_guard WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`;

/**
 * The kit's replay guard in the store's PostgreSQL database, shared by every instance on it; it
 * applies the kit's identical-delivery rule (`judgeDelivery`) on the store's clock.
 *
 * @example
 * const replayGuard = createPostgresReplayGuard({ pool });
 * createWebhookRouter({ secret, handlers: withPostgresAnswerRecord(handlers, replayGuard), replayGuard });
 */
export function createPostgresReplayGuard(options: PostgresReplayGuardOptions): PostgresReplayGuard {
  const { pool } = options;
  const now = options.now ?? Date.now;
  const abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS;
  const sweepEvery = atLeastOne("sweepEvery", options.sweepEvery ?? 8);
  const sweepRows = atLeastOne("sweepRows", options.sweepRows ?? 32);
  const hash = (key: string) => createHash("sha256").update(key).digest("base64url");
  let begun = 0;

  async function begin(delivery: ReplayDelivery): Promise<ReplayLookup> {
    const key = hash(delivery.key);
    for (;;) {
      const at = now();
      const arrivedAt = at - Math.max(0, delivery.ageMs);
      const row = (await pool.query<Row>({ name: "guard.find", text: FIND, values: [key] })).rows[0];
      const record: ReplayRecord | undefined = row && {
        path: row.path,
        arrivedAt: Number(row.started_at),
        claimedAt: Number(row.claimed_at),
        expiresAt: Number(row.expires_at),
        answer: row.status === null ? undefined : { status: row.status, body: row.body ?? "" },
        answeredAt: row.answered_at === null ? undefined : Number(row.answered_at),
      };
      const verdict = judgeDelivery(record, { path: delivery.path, arrivedAt, identical: delivery.identical }, { at, abandonAfterMs });
      if (verdict === "pending" || verdict === "duplicate" || verdict === "other_path") return { state: verdict };
      if (verdict === "done") return { state: "done", answer: record!.answer! };
      const token = randomUUID();
      const written =
        row === undefined
          ? await pool.query({ name: "guard.start", text: START, values: [key, delivery.path, token, arrivedAt, delivery.expiresAt] })
          : verdict === "new"
            ? await pool.query({ name: "guard.restart", text: RESTART, values: [key, row.claim, delivery.path, token, arrivedAt, delivery.expiresAt] })
            : await pool.query({ name: "guard.reclaim", text: RECLAIM, values: [key, row.claim, token, at, row.status, row.answered_at] });
      if (written.rowCount !== 1) continue;
      if (++begun % sweepEvery === 0) await pool.query({ name: "guard.sweep", text: SWEEP, values: [at, sweepRows] });
      return { state: "new", claim: { key: delivery.key, token } };
    }
  }

  return {
    begin,
    async commitAnswer(tx, claim, answer) {
      const updated = await tx.query({ name: "guard.commitAnswer", text: COMMIT_ANSWER, values: [hash(claim.key), claim.token, answer.status, answer.body] });
      if (updated.rowCount !== 1) throw new ReplayClaimLostError();
    },
    async complete(claim, answer) {
      await pool.query({ name: "guard.complete", text: COMPLETE, values: [hash(claim.key), claim.token, answer.status, answer.body, now()] });
    },
    async release(claim) {
      await pool.query({ name: "guard.release", text: RELEASE, values: [hash(claim.key), claim.token] });
    },
  };
}

/**
 * Wraps the cart handlers so each change's transaction also records the answer with the guard's
 * fenced write, before its COMMIT: a crash leaves the change with its answer, or neither.
 *
 * @example
 * withAudit(withPostgresAnswerRecord(createStoreHandlers(store), replayGuard), auditOptions);
 */
export function withPostgresAnswerRecord(handlers: WebhookHandlers, guard: PostgresReplayGuard): WebhookHandlers {
  return wrapCartChanges(handlers, (call) => (request, context) => {
    const claim = context.replay;
    if (claim === undefined) return call(request, context);
    return withinPostgresChange((tx, answer) => guard.commitAnswer(tx, claim, claim.stored(answer)), () => call(request, context));
  });
}

function atLeastOne(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number, at least 1; got ${value}`);
  return value;
}
