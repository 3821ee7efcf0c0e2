import type { Database } from "better-sqlite3";
import type { CartResponse, WebhookContext, WebhookHandlers, WebhookLogger } from "vizochok-merchant-kit";
import { createJsonLogger } from "./json-logger.js";
import { skipChanges } from "./read-cache.js";

export type AuditOutcome = "ok" | "rejected" | "failed" | "deadline_exceeded";

/** One webhook decision. Never a secret, a signature or a request body. */
export interface AuditEntry {
  at: number;
  request_id: string;
  kind: WebhookContext["kind"];
  action: string | null;
  store_id: string;
  session_id: string | null;
  sku: string | null;
  quantity: number | null;
  outcome: AuditOutcome;
  reason: string | null;
  latency_ms: number;
}

type AuditValues = [
  at: number,
  request_id: string,
  kind: string,
  action: string | null,
  store_id: string,
  session_id: string | null,
  sku: string | null,
  quantity: number | null,
  outcome: AuditOutcome,
  reason: string | null,
  latency_ms: number,
];

export interface AuditLog {
  record(entry: AuditEntry): void;
  /**
   * Records a read (products, cart GET) in the next batch rather than in a transaction of its
   * own. Without it, reads are recorded one by one with `record`.
   */
  defer?(entry: AuditEntry): void;
  /** Writes the deferred rows now. */
  flush?(): void;
  /** The latest entries, newest first. */
  recent(limit?: number): AuditEntry[];
}

export interface AuditLogOptions {
  /** Deferred rows are written at least this often. Default 1,000 ms. */
  flushMs?: number;
  /** A batch this large is written at once. Default 500 rows. */
  maxBatch?: number;
  /** Where a batch that could not be written is reported. Default: JSON lines on stdout. */
  logger?: WebhookLogger;
}

/**
 * The `webhook_audit` table: what was asked, what the store decided, and how long it took.
 *
 * A cart change's row is written with the change. Reads are deferred and written in batches, one
 * transaction per batch, at least every `flushMs`, before a cart change (`withAudit` flushes
 * first, so rows keep their order) and on `flush()` (the app's `close()` calls it): a read then
 * costs no write transaction of its own. A crash loses at most the reads of the last `flushMs`;
 * their answers were already sent and changed nothing.
 *
 * @example
 * createAuditLog(db).recent(10);
 */
export function createAuditLog(db: Database, options: AuditLogOptions = {}): AuditLog & Required<Pick<AuditLog, "defer" | "flush">> {
  const flushMs = options.flushMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 500;
  const logger = options.logger ?? createJsonLogger();
  // Positional parameters: better-sqlite3 reads named ones off the object one lookup at a time,
  // which is slower (measured in batches of 500: 3.7 → 2.3 µs a row).
  const insertValues = db.prepare<AuditValues>(`
    INSERT INTO webhook_audit (at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insert = (e: AuditEntry) =>
    insertValues.run(e.at, e.request_id, e.kind, e.action, e.store_id, e.session_id, e.sku, e.quantity, e.outcome, e.reason, e.latency_ms);
  const recent = db.prepare<[number], AuditEntry>(`
    SELECT at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms
    FROM webhook_audit ORDER BY id DESC LIMIT ?`);
  const insertBatch = db.transaction((rows: AuditEntry[]) => {
    for (const row of rows) insert(row);
  });
  let pending: AuditEntry[] = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    try {
      if (!db.open) throw new Error("the database is closed");
      insertBatch(rows);
      // One row changed per insert, none of them an offer: the products cache stays.
      skipChanges(db, rows.length);
    } catch (error) {
      logger.error(
        { rows: rows.length, err: error instanceof Error ? error.message : String(error) },
        "audit rows for reads could not be written; the answers stood",
      );
    }
  }

  return {
    record: (entry) => void insert(entry),
    defer(entry) {
      pending.push(entry);
      if (pending.length >= maxBatch) flush();
      else timer ??= setTimeout(flush, flushMs).unref();
    },
    flush,
    recent(limit = 50) {
      flush();
      return recent.all(limit);
    },
  };
}

/** Where `withAudit` writes: the SQLite `AuditLog`, or an asynchronous one (PostgreSQL). */
export interface AuditSink {
  record(entry: AuditEntry): void | Promise<void>;
  /** Keeps a read's row for the next batch (see `createAuditLog`); without it reads use `record`. */
  defer?(entry: AuditEntry): void;
  /** Writes the kept rows now; `withAudit` calls it before a cart change so rows keep their order. */
  flush?(): void;
}

export interface WithAuditOptions {
  audit: AuditSink;
  now?: () => number;
  /** The kit's `budgetMs`: the request arrived at `deadline - budgetMs`, where latency starts. */
  budgetMs: number;
  /**
   * Runs a cart change together with its audit row as one unit, e.g. one SQLite transaction.
   * A change then commits only with its row: if the row cannot be written the change rolls back
   * and the kit answers 5xx, so VIZOCHOK's retry applies it once, never twice. Without it (a
   * backend whose changes live elsewhere) the row is written after the answer, best effort.
   */
  atomically?: <T>(work: () => T) => T;
  /**
   * The same for a store whose changes are asynchronous (PostgreSQL): runs a cart change so that
   * its own transaction writes `rowFor(answer)` (the row of a change that was made; `undefined`
   * for a rejection) before it commits.
   */
  withinChange?: <A>(work: () => A | Promise<A>, rowFor: (answer: A) => AuditEntry | undefined) => Promise<A>;
  /** Where a row that could not be written is reported. Default: JSON lines on stdout. */
  logger?: WebhookLogger;
}

type Described = { action: string | null; sku: string | null; quantity: number | null };
type Judged = { outcome: AuditOutcome; reason: string | null };

/**
 * Wraps any `WebhookHandlers` so each decision lands in the audit log, whichever backend made it.
 * The audit never changes an answer, except that a change and its row commit together when
 * `atomically` is given.
 *
 * @example
 * const unit = db.transaction((work: () => unknown) => work());
 * const handlers = withAudit(createStoreHandlers(store), {
 *   audit: createAuditLog(db),
 *   budgetMs: 4_500,
 *   atomically: (work) => unit.immediate(work) as ReturnType<typeof work>,
 * });
 */
export function withAudit(handlers: WebhookHandlers, options: WithAuditOptions): WebhookHandlers {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createJsonLogger();

  /** Keeps a synchronous handler synchronous (the kit then skips its deadline timer). */
  function audited<R extends object, A>(
    call: ((request: R, context: WebhookContext) => A | Promise<A>) | undefined,
    describe: (request: R) => Described,
    judge: (answer: A) => Judged,
    changesCart: boolean,
  ): ((request: R, context: WebhookContext) => A | Promise<A>) | undefined {
    if (call === undefined) return undefined;
    const method = call.bind(handlers);
    // The helpers take the request and its context as arguments instead of closing over them, so
    // a request creates no named function: tsx, which runs the store, names each one with
    // Object.defineProperty, about 0.3 µs apiece.
    // One literal of a fixed shape: spreading `describe(request)` into it cost several µs a row.
    const entry = (request: R, context: WebhookContext, { outcome, reason }: Judged): AuditEntry => {
      const at = now();
      const { action, sku, quantity } = describe(request);
      return {
        at,
        request_id: context.requestId,
        kind: context.kind,
        action,
        store_id: context.storeId,
        session_id: context.sessionId ?? null,
        sku,
        quantity,
        outcome,
        reason,
        latency_ms: Math.max(0, at - (context.deadline - options.budgetMs)),
      };
    };
    const lost = (context: WebhookContext, judged: Judged, error: unknown) =>
      logger.error(
        { requestId: context.requestId, kind: context.kind, outcome: judged.outcome, err: error instanceof Error ? error.message : String(error) },
        "audit row could not be written; the answer stands",
      );
    /** Nothing was changed, or the change is already committed: a lost row must not alter the answer. */
    const recordBestEffort = (request: R, context: WebhookContext, judged: Judged) => {
      try {
        if (!changesCart && options.audit.defer !== undefined) {
          options.audit.defer(entry(request, context, judged));
        } else {
          const written = options.audit.record(entry(request, context, judged));
          if (written instanceof Promise) written.catch((error: unknown) => lost(context, judged, error));
        }
      } catch (error) {
        lost(context, judged, error);
      }
    };
    const answered = (request: R, context: WebhookContext, answer: A) => {
      recordBestEffort(request, context, judge(answer));
      return answer;
    };
    const threw = (request: R, context: WebhookContext, error: unknown): never => {
      const code = (error as { code?: unknown } | null)?.code;
      recordBestEffort(request, context, {
        outcome: code === "deadline_exceeded" ? "deadline_exceeded" : "failed",
        reason: error instanceof Error ? error.name : "error",
      });
      throw error;
    };
    const atomically = changesCart ? options.atomically : undefined;
    const withinChange = changesCart ? options.withinChange : undefined;

    return (request, context) => {
      let result: A | Promise<A>;
      try {
        if (withinChange !== undefined) {
          // Kept reads happened before this change: their batch goes first.
          options.audit.flush?.();
          let inTransaction = false;
          return withinChange(
            () => method(request, context),
            (answer) => {
              const judged = judge(answer);
              inTransaction = judged.outcome === "ok";
              return inTransaction ? entry(request, context, judged) : undefined;
            },
          ).then(
            (answer) => {
              if (!inTransaction) recordBestEffort(request, context, judge(answer));
              return answer;
            },
            (error: unknown) => threw(request, context, error),
          );
        }
        if (atomically === undefined) {
          result = method(request, context);
        } else {
          // Deferred reads happened before this change: their rows go first, in their own batch.
          options.audit.flush?.();
          // Boxed: a transaction body may not return a promise (the deadline path returns one).
          const box = atomically(() => {
            const inner = method(request, context);
            if (inner instanceof Promise) return { inner, recorded: false };
            const judged = judge(inner);
            // A change's row is part of the change; a rejection changed nothing, so it stands alone.
            if (judged.outcome === "ok") options.audit.record(entry(request, context, judged));
            else recordBestEffort(request, context, judged);
            return { inner, recorded: true };
          });
          if (box.recorded) return box.inner;
          result = box.inner;
        }
      } catch (error) {
        return threw(request, context, error);
      }
      return result instanceof Promise
        ? result.then(
            (answer) => answered(request, context, answer),
            (error: unknown) => threw(request, context, error),
          )
        : answered(request, context, result);
    };
  }

  const cartItem = (r: { action: string; sku?: string | undefined; quantity?: number | undefined }): Described => ({
    action: r.action,
    sku: r.sku ?? null,
    quantity: r.quantity ?? null,
  });
  const cartJudge = (answer: CartResponse) =>
    answer.ok ? { outcome: "ok" as const, reason: null } : { outcome: "rejected" as const, reason: answer.reason };
  const okJudge = () => ({ outcome: "ok" as const, reason: null });

  const wrapped: WebhookHandlers = {
    products: audited(handlers.products, (r) => ({ action: null, sku: r.skus.join(","), quantity: null }), okJudge, false)!,
  };
  const add = audited(handlers.add, cartItem, cartJudge, true);
  const remove = audited(handlers.remove, cartItem, cartJudge, true);
  const updateQuantity = audited(handlers.updateQuantity, cartItem, cartJudge, true);
  const clear = audited(handlers.clear, cartItem, cartJudge, true);
  const cartGet = audited(handlers.cartGet, () => ({ action: null, sku: null, quantity: null }), okJudge, false);
  if (add) wrapped.add = add;
  if (remove) wrapped.remove = remove;
  if (updateQuantity) wrapped.updateQuantity = updateQuantity;
  if (clear) wrapped.clear = clear;
  if (cartGet) wrapped.cartGet = cartGet;
  return wrapped;
}
