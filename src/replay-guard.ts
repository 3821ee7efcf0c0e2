/** The answer stored for a delivery so an exact re-delivery gets it again. */
export interface StoredAnswer {
  status: number;
  body: unknown;
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
  path: string;
  expiresAt: number;
  answer: StoredAnswer | undefined;
}

/**
 * In-process replay guard. Bounded: expired entries are swept as new ones arrive, and past
 * `maxEntries` the oldest entry is dropped (a delivery that old is near the end of its window).
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions = {}): MemoryReplayGuard {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function sweep(at: number): void {
    // Map iteration is insertion order, which is close to expiry order; stop at the first live one.
    for (const [key, entry] of entries) {
      if (entry.expiresAt > at && entries.size <= maxEntries) break;
      if (entry.expiresAt <= at || entries.size > maxEntries) entries.delete(key);
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
      entries.delete(key);
      entries.set(key, { path, expiresAt, answer: undefined });
      if (entries.size > maxEntries || entries.size % 1024 === 0) sweep(at);
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
