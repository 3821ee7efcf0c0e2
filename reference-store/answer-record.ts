import type { CartResponse, ReplayClaim, StoredAnswer, WebhookContext, WebhookHandlers } from "vizochok-merchant-kit";

/** The fenced answer write of a guard that lives in the store's database. */
export interface AnswerRecorder {
  commitAnswer(claim: ReplayClaim, answer: StoredAnswer): void;
}

/**
 * Wraps the cart handlers so each answer is recorded by the replay guard right after the change,
 * **inside the same transaction** — run the wrapped handlers within it (the store app does, through
 * `withAudit`'s `atomically`). A crash then leaves either the change with its answer or neither,
 * and a re-delivery can never apply a change twice. When another process has taken the delivery
 * over, the write throws and the whole change rolls back.
 *
 * @example
 * const handlers = withAudit(withAnswerRecord(createStoreHandlers(store), replayGuard), { audit, budgetMs, atomically });
 */
export function withAnswerRecord(handlers: WebhookHandlers, guard: AnswerRecorder): WebhookHandlers {
  return wrapCartChanges(handlers, (call) => (request, context) => {
    const answer = call(request, context);
    // A promise is the deadline path: the change rolled back and the kit answers 503.
    if (answer instanceof Promise || context.replay === undefined) return answer;
    guard.commitAnswer(context.replay, context.replay.stored(answer));
    return answer;
  });
}

/** One cart change handler (add, remove, updateQuantity or clear), bound to its handlers. */
export type CartChange<R> = (request: R, context: WebhookContext) => CartResponse | Promise<CartResponse>;

/**
 * The handlers with each cart change (add, remove, updateQuantity, clear) passed through `wrap`;
 * products and cart GET are kept as they are.
 */
export function wrapCartChanges(handlers: WebhookHandlers, wrap: <R>(call: CartChange<R>) => CartChange<R>): WebhookHandlers {
  const wrapped: WebhookHandlers = { ...handlers, products: handlers.products.bind(handlers) };
  if (handlers.add) wrapped.add = wrap(handlers.add.bind(handlers));
  if (handlers.remove) wrapped.remove = wrap(handlers.remove.bind(handlers));
  if (handlers.updateQuantity) wrapped.updateQuantity = wrap(handlers.updateQuantity.bind(handlers));
  if (handlers.clear) wrapped.clear = wrap(handlers.clear.bind(handlers));
  if (handlers.cartGet) wrapped.cartGet = handlers.cartGet.bind(handlers);
  return wrapped;
}
