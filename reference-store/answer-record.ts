import type { CartResponse, ReplayClaim, StoredAnswer, WebhookContext, WebhookHandlers } from "vizochok-merchant-kit";

/** The fenced answer write of a guard that lives in the store's database. */
export interface AnswerRecorder {
  commitAnswer(claim: ReplayClaim, answer: StoredAnswer): void;
}

type CartMethod<R> = ((request: R, context: WebhookContext) => CartResponse | Promise<CartResponse>) | undefined;

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
  function recorded<R>(method: CartMethod<R>): CartMethod<R> {
    if (method === undefined) return undefined;
    const call = method.bind(handlers);
    return (request, context) => {
      const answer = call(request, context);
      // A promise is the deadline path: the change rolled back and the kit answers 503.
      if (answer instanceof Promise || context.replay === undefined) return answer;
      guard.commitAnswer(context.replay, context.replay.stored(answer));
      return answer;
    };
  }

  const wrapped: WebhookHandlers = { ...handlers, products: handlers.products.bind(handlers) };
  const add = recorded(handlers.add);
  const remove = recorded(handlers.remove);
  const updateQuantity = recorded(handlers.updateQuantity);
  const clear = recorded(handlers.clear);
  if (add) wrapped.add = add;
  if (remove) wrapped.remove = remove;
  if (updateQuantity) wrapped.updateQuantity = updateQuantity;
  if (clear) wrapped.clear = clear;
  if (handlers.cartGet) wrapped.cartGet = handlers.cartGet.bind(handlers);
  return wrapped;
}
