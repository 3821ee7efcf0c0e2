import { positiveRule, type Rule } from "./core/option-rules.js";

/** The answer stored for a delivery so a copy of it gets the same answer, byte for byte. */
export interface StoredAnswer {
  status: number;
  /** The JSON text that was sent. */
  body: string;
}

/**
 * VIZOCHOK retries only after a failure and a 1 s delay, so a byte-identical copy that arrives
 * this long after the first one is a re-delivery (or a replay), never a shopper's new request.
 */
export const REDELIVERY_DELAY_MS = 1_000;

/**
 * A guard record left in flight this long belongs to a process that died (or could not record
 * the outcome): a copy may take it over. VIZOCHOK's own timeout; by then it has stopped waiting.
 */
export const DEFAULT_ABANDON_AFTER_MS = 5_000;

/** What to do with a copy of an answered request that arrives less than 1 s after the first. */
export type IdenticalRequestPolicy =
  /** Run it: the shopper asked for the same thing again (the default). */
  | "apply"
  /** Answer `409 duplicate_delivery`; VIZOCHOK reports a failed operation and the shopper can retry. */
  | "refuse";

/** One signed cart POST, as the kit asks the guard about it. */
export interface ReplayDelivery {
  /** `"{timestamp}.{signature}"`: the same for byte-identical requests signed in the same second. */
  key: string;
  /** The endpoint it was sent to: a signature is good for one endpoint only. */
  path: string;
  /** Epoch ms after which the signature is outside the window and the record may go. */
  expiresAt: number;
  /**
   * How long ago this copy arrived, in ms, by the kit's clock. The guard subtracts it from its
   * own clock, so arrival, claim and answer times are all compared on one clock (the store's).
   */
  ageMs: number;
  identical: IdenticalRequestPolicy;
}

/** This request's right to run a delivery; every write about it is fenced by `token`. */
export interface ReplayClaim {
  key: string;
  /** Unique per attempt: a takeover gets a new one, and the old owner's writes then change nothing. */
  token: string;
}

export type ReplayLookup =
  /** Run it: the caller holds `claim` and must `complete` or `release` it. */
  | { state: "new"; claim: ReplayClaim }
  /** The same delivery is in flight elsewhere: wait and ask again (same `ageMs` origin). */
  | { state: "pending" }
  /** Answer with this: the first copy's answer, or the recorded answer of a re-delivery. */
  | { state: "done"; answer: StoredAnswer }
  /** A new request with identical bytes, and the policy is `"refuse"`: answer 409. */
  | { state: "duplicate" }
  /** The key was seen on another path: a replay, not a re-delivery. */
  | { state: "other_path" };

/**
 * Tells a re-delivery of a signed cart POST from a new request with the same bytes (VIZOCHOK's
 * scheme has no delivery id: a shopper who adds the same product twice in one second sends
 * byte-identical requests). The rule, with every time on the guard's clock:
 *
 * 1. a copy that arrives while the first is in flight (by its arrival time) waits for the
 *    first's answer (`pending`, then `done`);
 * 2. a copy that arrives after the first was answered and less than 1 s after the first arrived
 *    is a new request: `new` (it runs), or `duplicate` under `identical: "refuse"`;
 * 3. a copy that arrives 1 s or more after the first gets the recorded answer (`done`) when the
 *    first's change committed — also when its process died before answering — and runs (`new`,
 *    after the record is abandoned) when nothing committed.
 *
 * {@link judgeDelivery} is the rule as one pure function; every guard applies it.
 *
 * The record's life: `begin` claims it (a fresh token), the answer is recorded with the claim,
 * `complete` marks it answered. A store that keeps its state in the guard's database records the
 * answer **in the same transaction as the change** with a fenced write — SQL:
 * `UPDATE replay_guard SET status = ?, body = ? WHERE key = ? AND claim = ? AND status IS NULL`,
 * and nothing updated means another process took the delivery over: roll back. The handler finds
 * the claim in `context.replay`. A crash after that COMMIT then leaves the answer recorded, and a
 * crash before it leaves nothing committed, so a re-delivery never applies a change twice.
 * Without that write (a memory guard, a store elsewhere), `complete` records the answer after
 * the handler returns, and a crash in between is the remaining gap.
 *
 * Every write compares the claim token, so a stale owner can never overwrite or undo a takeover.
 * Methods may be async, so a shared store (SQLite, PostgreSQL, Redis) can replace the default.
 */
export interface ReplayGuard {
  begin(delivery: ReplayDelivery): ReplayLookup | Promise<ReplayLookup>;
  /**
   * The kit has the answer (status < 500): record it unless the store already did, and mark the
   * delivery answered now. Does nothing when `claim` is no longer the record's.
   */
  complete(claim: ReplayClaim, answer: StoredAnswer): void | Promise<void>;
  /**
   * The attempt failed (5xx) and committed nothing: forget it so a retry runs. Keeps a record
   * whose answer was committed (the change stands), and one that another claim now holds.
   */
  release(claim: ReplayClaim): void | Promise<void>;
}

/** What a guard keeps per key, as {@link judgeDelivery} reads it. Times are the guard's clock. */
export interface ReplayRecord {
  path: string;
  /** When the first copy arrived; a takeover or a repeat keeps it. */
  arrivedAt: number;
  /** When the current claim was taken. */
  claimedAt: number;
  expiresAt: number;
  /** The committed answer of the current claim, if any. */
  answer: StoredAnswer | undefined;
  /** When the kit finished with the current claim; `undefined` while it is in flight. */
  answeredAt: number | undefined;
}

export type ReplayVerdict =
  /** No live record: start one (`arrivedAt` = this copy's arrival). */
  | "new"
  /** Take the record over with a new claim, keeping `arrivedAt` (abandoned, or a repeat that runs). */
  | "reclaim"
  | "pending"
  | "done"
  | "duplicate"
  | "other_path";

/** What `judgeDelivery` needs besides the delivery and the record. */
export interface JudgeOptions {
  /** The guard's clock now. */
  at: number;
  /** A delivery in flight this long belongs to a request that died: a copy may take it over. Default 5,000 ms. */
  abandonAfterMs?: number;
}

/**
 * The identical-delivery rule (see {@link ReplayGuard}) as one pure function, so every guard —
 * memory, SQLite, PostgreSQL, Redis — decides the same way. `arrivedAt` is the copy's arrival on
 * the guard's clock (`at - delivery.ageMs`).
 *
 * @example
 * judgeDelivery(record, { path: "/cart", arrivedAt: at - delivery.ageMs, identical: "apply" }, { at });
 */
export function judgeDelivery(
  record: ReplayRecord | undefined,
  copy: { path: string; arrivedAt: number; identical: IdenticalRequestPolicy },
  options: JudgeOptions,
): ReplayVerdict {
  const { at } = options;
  if (record === undefined || record.expiresAt <= at) return "new";
  if (record.path !== copy.path) return "other_path";
  if (record.answer === undefined) {
    // In flight, or left by a process that died before anything committed.
    return at - record.claimedAt < (options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS) ? "pending" : "reclaim";
  }
  // Committed. A copy that arrived before the answer went out is the same delivery; so is one
  // that arrived a second or more after the first (a re-delivery or a replay).
  if (record.answeredAt === undefined || copy.arrivedAt < record.answeredAt) return "done";
  if (copy.arrivedAt - record.arrivedAt >= REDELIVERY_DELAY_MS) return "done";
  return copy.identical === "refuse" ? "duplicate" : "reclaim";
}

/** Thrown by a fenced answer write that updated nothing: another request holds the delivery now. */
export class ReplayClaimLostError extends Error {
  readonly code = "replay_claim_lost";

  constructor() {
    super("another request took this delivery over; nothing was committed");
    this.name = "ReplayClaimLostError";
  }
}

/** What `createMemoryReplayGuard` takes; every number finite and > 0, checked at setup. */
export interface MemoryReplayGuardOptions {
  /** Upper bound on remembered deliveries; the oldest are dropped first. Default 100,000. */
  maxEntries?: number;
  /** The guard's clock, in epoch milliseconds; the router passes its own. Default `Date.now`. */
  now?: () => number;
  /** A delivery in flight this long may be taken over. Default 5,000 ms. */
  abandonAfterMs?: number;
  /** Makes claim tokens; default `crypto.randomUUID`. */
  newToken?: () => string;
}

export interface MemoryReplayGuard extends ReplayGuard {
  begin(delivery: ReplayDelivery): ReplayLookup;
  complete(claim: ReplayClaim, answer: StoredAnswer): void;
  release(claim: ReplayClaim): void;
  /** How many deliveries are remembered right now. */
  readonly size: number;
}

interface Entry extends ReplayRecord {
  key: string;
  token: string;
}

/**
 * In-process replay guard. Bounded: entries leave in arrival order once expired, and past
 * `maxEntries` the oldest entry is dropped (a delivery that old is near the end of its window).
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions = {}): MemoryReplayGuard {
  const maxEntries = checked(positiveRule(options.maxEntries, "maxEntries", 100_000));
  const now = options.now ?? Date.now;
  const abandonAfterMs = checked(positiveRule(options.abandonAfterMs, "abandonAfterMs", DEFAULT_ABANDON_AFTER_MS));
  const newToken = options.newToken ?? (() => globalThis.crypto.randomUUID());
  const entries = new Map<string, Entry>();
  // Arrival order, kept apart from the Map: iterating a Map from the front after many deletes
  // walks every deleted slot, which made eviction cost grow with traffic.
  let queue: (Entry | undefined)[] = [];
  let head = 0;

  function evict(at: number): void {
    while (head < queue.length) {
      const oldest = queue[head]!;
      const current = entries.get(oldest.key) === oldest;
      if (current && oldest.expiresAt > at && entries.size <= maxEntries) break;
      if (current) entries.delete(oldest.key);
      queue[head++] = undefined;
    }
    if (head > 1024 && head * 4 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  const held = (claim: ReplayClaim): Entry | undefined => {
    const entry = entries.get(claim.key);
    return entry?.token === claim.token ? entry : undefined;
  };

  return {
    get size() {
      return entries.size;
    },
    begin(delivery) {
      const at = now();
      const arrivedAt = at - Math.max(0, delivery.ageMs);
      const entry = entries.get(delivery.key);
      const verdict = judgeDelivery(entry, { path: delivery.path, arrivedAt, identical: delivery.identical }, { at, abandonAfterMs });
      switch (verdict) {
        case "pending":
        case "duplicate":
        case "other_path":
          return { state: verdict };
        case "done":
          return { state: "done", answer: entry!.answer! };
        case "reclaim": {
          const claimed = entry!;
          claimed.token = newToken();
          claimed.claimedAt = at;
          claimed.answer = undefined;
          claimed.answeredAt = undefined;
          return { state: "new", claim: { key: delivery.key, token: claimed.token } };
        }
        case "new": {
          const token = newToken();
          const fresh: Entry = {
            key: delivery.key,
            token,
            path: delivery.path,
            arrivedAt,
            claimedAt: at,
            expiresAt: delivery.expiresAt,
            answer: undefined,
            answeredAt: undefined,
          };
          entries.set(delivery.key, fresh);
          queue.push(fresh);
          evict(at);
          return { state: "new", claim: { key: delivery.key, token } };
        }
      }
    },
    complete(claim, answer) {
      const entry = held(claim);
      if (entry === undefined) return;
      entry.answer ??= answer;
      entry.answeredAt = now();
    },
    release(claim) {
      const entry = held(claim);
      if (entry !== undefined && entry.answer === undefined) entries.delete(claim.key);
    },
  };
}

function checked<T>(rule: Rule<T>): T {
  if (!rule.ok) throw new TypeError(`createMemoryReplayGuard: ${rule.message}`);
  return rule.value;
}
