import type { Database } from "better-sqlite3";

export interface ReadCacheOptions {
  /** Rows kept at most, over every scope; past it the cache starts empty again. Default 100,000. */
  maxEntries?: number;
}

export interface ReadCache<T> {
  /**
   * The rows of `keys` in `scope` (`undefined` where there is none), in the order of `keys`: from
   * memory when the database has not changed since they were read, else from `load`, which gets
   * the keys not in memory and answers with the rows it found.
   */
  read(scope: string, keys: readonly string[], load: (scope: string, keys: string[]) => Map<string, T>): (T | undefined)[];
}

/** Every read cache on a connection, so a writer can say which of its changes they may ignore. */
const cachesOf = new WeakMap<Database, Set<{ skip(count: number): void }>>();

/**
 * Tells every read cache on `db` that the next `count` row changes made on it touch no row a
 * cache keeps: the audit log's batches, which would otherwise empty the caches every second.
 * Only an exact count is forgiven; a single other change on the connection still empties them.
 */
export function skipChanges(db: Database, count: number): void {
  for (const cache of cachesOf.get(db) ?? []) cache.skip(count);
}

/**
 * Rows read from the database, kept until anything in it may have changed. Before answering from
 * memory it runs one statement that reads no table, `SELECT total_changes(), data_version FROM
 * pragma_data_version`: `data_version` moves when another connection commits (another process
 * on the file, or another connection in this one), and `total_changes()` when this connection
 * inserts, updates or deletes a row (the store's own changes, or anyone else's statement on the
 * same connection). Either one empties the cache, except for changes announced with
 * `skipChanges`. Inside an open transaction nothing is kept: its rows may yet be rolled back,
 * which moves neither counter.
 *
 * @example
 * const cache = createReadCache<Offer>(db);
 * cache.read("store-1", ["milk-001"], (storeId, skus) => loadOffers(storeId, skus));
 */
export function createReadCache<T>(db: Database, options: ReadCacheOptions = {}): ReadCache<T> {
  const maxEntries = options.maxEntries ?? 100_000;
  const version = db.prepare<[], [number, number]>("SELECT total_changes(), data_version FROM pragma_data_version").raw();
  let changes = Number.NaN;
  let dataVersion = Number.NaN;
  // Changes announced with `skipChanges` since the last look.
  let skipped = 0;
  let scopes = new Map<string, Map<string, T | null>>();
  let size = 0;

  /** Whether the database may have changed since the last look. Must run before the rows are read. */
  function changed(): boolean {
    const [nowChanges, nowDataVersion] = version.get()!;
    const same = nowChanges === changes + skipped && nowDataVersion === dataVersion;
    changes = nowChanges;
    dataVersion = nowDataVersion;
    skipped = 0;
    return !same;
  }

  function empty(): void {
    scopes = new Map();
    size = 0;
  }

  let caches = cachesOf.get(db);
  if (caches === undefined) cachesOf.set(db, (caches = new Set()));
  caches.add({ skip: (count) => void (skipped += count) });

  return {
    read(scope, keys, load) {
      if (db.inTransaction) {
        const rows = load(scope, [...keys]);
        return keys.map((key) => rows.get(key));
      }
      if (changed()) empty();
      let kept = scopes.get(scope);
      let missing = kept === undefined ? [...keys] : keys.filter((key) => !kept!.has(key));
      if (missing.length > 0) {
        if (size + missing.length > maxEntries) {
          empty();
          kept = undefined;
          missing = [...keys];
        }
        if (kept === undefined) scopes.set(scope, (kept = new Map()));
        const rows = load(scope, missing);
        // A key with no row is kept too (as null): asking again costs no query either.
        for (const key of missing) kept.set(key, rows.get(key) ?? null);
        size += missing.length;
      }
      return keys.map((key) => kept!.get(key) ?? undefined);
    },
  };
}
