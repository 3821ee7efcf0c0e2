/** The answer stored for a delivery so an exact re-delivery gets it again, byte for byte. */
export interface StoredAnswer {
  status: number;
  /** The JSON text that was sent. */
  body: string;
}

export type ReplayLookup =
  /** First sighting: the caller now owns the key and must `complete` or `release` it. */
  | { state: "new" }
  /** Another request with this key is being handled right now. */
  | { state: "pending" }
  | { state: "done"; answer: StoredAnswer }
  /** The key was seen on another path: a replay, not a re-delivery. */
  | { state: "other_path" };

/**
 * Remembers signed POST deliveries by `(timestamp, signature)` until the window closes. Methods
 * may be async, so a shared store (SQLite, Redis) can replace the in-memory default.
 */
export interface ReplayGuard {
  begin(key: string, path: string, expiresAt: number): ReplayLookup | Promise<ReplayLookup>;
  complete(key: string, answer: StoredAnswer): void | Promise<void>;
  /** Forget a key whose handling failed (5xx), so VIZOCHOK's retry runs it again. */
  release(key: string): void | Promise<void>;
}

export interface MemoryReplayGuardOptions {
  /** Upper bound on remembered deliveries; the oldest are dropped first. Default 100,000. */
  maxEntries?: number;
  now?: () => number;
}

export interface MemoryReplayGuard extends ReplayGuard {
  begin(key: string, path: string, expiresAt: number): ReplayLookup;
  complete(key: string, answer: StoredAnswer): void;
  release(key: string): void;
  /** How many deliveries are remembered right now. */
  readonly size: number;
}

interface Entry {
  key: string;
  path: string;
  expiresAt: number;
  answer: StoredAnswer | undefined;
}

/**
 * In-process replay guard. Bounded: entries leave in arrival order once expired, and past
 * `maxEntries` the oldest entry is dropped (a delivery that old is near the end of its window).
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions = {}): MemoryReplayGuard {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
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

  return {
    get size() {
      return entries.size;
    },
    begin(key, path, expiresAt) {
      const at = now();
      const entry = entries.get(key);
      if (entry !== undefined && entry.expiresAt > at) {
        if (entry.path !== path) return { state: "other_path" };
        return entry.answer === undefined ? { state: "pending" } : { state: "done", answer: entry.answer };
      }
      const fresh: Entry = { key, path, expiresAt, answer: undefined };
      entries.set(key, fresh);
      queue.push(fresh);
      evict(at);
      return { state: "new" };
    },
    complete(key, answer) {
      const entry = entries.get(key);
      if (entry !== undefined) entry.answer = answer;
    },
    release(key) {
      entries.delete(key);
    },
  };
}
