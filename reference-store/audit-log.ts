import type { Database } from "better-sqlite3";
import type { CartResponse, WebhookContext, WebhookHandlers } from "vizochok-merchant-kit";

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

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** The latest entries, newest first. */
  recent(limit?: number): AuditEntry[];
}

/**
 * The `webhook_audit` table: what was asked, what the store decided, and how long it took.
 *
 * @example
 * createAuditLog(db).recent(10);
 */
export function createAuditLog(db: Database): AuditLog {
  const insert = db.prepare<AuditEntry>(`
    INSERT INTO webhook_audit (at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms)
    VALUES (@at, @request_id, @kind, @action, @store_id, @session_id, @sku, @quantity, @outcome, @reason, @latency_ms)`);
  const recent = db.prepare<[number], AuditEntry>(`
    SELECT at, request_id, kind, action, store_id, session_id, sku, quantity, outcome, reason, latency_ms
    FROM webhook_audit ORDER BY id DESC LIMIT ?`);
  return {
    record: (entry) => void insert.run(entry),
    recent: (limit = 50) => recent.all(limit),
  };
}

export interface WithAuditOptions {
  audit: AuditLog;
  now?: () => number;
  /** The kit's `budgetMs`: the request arrived at `deadline - budgetMs`, where latency starts. */
  budgetMs: number;
}

type Described = { action: string | null; sku: string | null; quantity: number | null };

/**
 * Wraps any `WebhookHandlers` so each decision lands in the audit log, whichever backend made it.
 *
 * @example
 * const handlers = withAudit(createStoreHandlers(store), { audit: createAuditLog(db), budgetMs: 4_500 });
 */
export function withAudit(handlers: WebhookHandlers, options: WithAuditOptions): WebhookHandlers {
  const now = options.now ?? Date.now;

  /** Keeps a synchronous handler synchronous (the kit then skips its deadline timer). */
  function audited<R extends object, A>(
    call: ((request: R, context: WebhookContext) => A | Promise<A>) | undefined,
    describe: (request: R) => Described,
    judge: (answer: A) => { outcome: AuditOutcome; reason: string | null },
  ): ((request: R, context: WebhookContext) => A | Promise<A>) | undefined {
    if (call === undefined) return undefined;
    const method = call.bind(handlers);
    return (request, context) => {
      const finish = (outcome: AuditOutcome, reason: string | null) => {
        const at = now();
        options.audit.record({
          ...describe(request),
          request_id: context.requestId,
          kind: context.kind,
          store_id: context.storeId,
          session_id: context.sessionId ?? null,
          at,
          outcome,
          reason,
          latency_ms: Math.max(0, at - (context.deadline - options.budgetMs)),
        });
      };
      const answered = (answer: A) => {
        const { outcome, reason } = judge(answer);
        finish(outcome, reason);
        return answer;
      };
      const threw = (error: unknown): never => {
        const code = (error as { code?: unknown } | null)?.code;
        finish(code === "deadline_exceeded" ? "deadline_exceeded" : "failed", error instanceof Error ? error.name : "error");
        throw error;
      };
      let result: A | Promise<A>;
      try {
        result = method(request, context);
      } catch (error) {
        return threw(error);
      }
      return result instanceof Promise ? result.then(answered, threw) : answered(result);
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
    products: audited(handlers.products, (r) => ({ action: null, sku: r.skus.join(","), quantity: null }), okJudge)!,
  };
  const add = audited(handlers.add, cartItem, cartJudge);
  const remove = audited(handlers.remove, cartItem, cartJudge);
  const updateQuantity = audited(handlers.updateQuantity, cartItem, cartJudge);
  const clear = audited(handlers.clear, cartItem, cartJudge);
  const cartGet = audited(handlers.cartGet, () => ({ action: null, sku: null, quantity: null }), okJudge);
  if (add) wrapped.add = add;
  if (remove) wrapped.remove = remove;
  if (updateQuantity) wrapped.updateQuantity = updateQuantity;
  if (clear) wrapped.clear = clear;
  if (cartGet) wrapped.cartGet = cartGet;
  return wrapped;
}
