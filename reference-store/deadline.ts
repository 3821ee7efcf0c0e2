import type { WebhookContext } from "vizochok-merchant-kit";

/** Thrown inside a write transaction to roll it back when the webhook budget is spent. */
export class DeadlineExceededError extends Error {
  readonly code = "deadline_exceeded";

  constructor(deadline: number) {
    super(`the webhook deadline (${new Date(deadline).toISOString()}) passed before commit; rolled back`);
    this.name = "DeadlineExceededError";
  }
}

/**
 * Runs a write that checks `deadline` before it commits: synchronously (SQLite) or as a promise
 * (PostgreSQL). When the write rolls back for lack of time, the answer is left to the kit, which
 * answers 503 `handler_timeout` as its budget runs out, so VIZOCHOK's single retry applies the
 * change once.
 *
 * @example
 * add: (request, context) => withinDeadline(context, (deadline) => store.add(request, deadline)),
 */
export function withinDeadline<T>(context: WebhookContext, write: (deadline: number) => T | Promise<T>): T | Promise<T> {
  if (context.signal.aborted) throw new DeadlineExceededError(context.deadline);
  let result: T | Promise<T>;
  try {
    result = write(context.deadline);
  } catch (error) {
    return waitForTheKit(context, error);
  }
  return result instanceof Promise ? result.catch((error: unknown) => waitForTheKit(context, error)) : result;
}

function waitForTheKit(context: WebhookContext, error: unknown): Promise<never> {
  if (!(error instanceof DeadlineExceededError)) throw error;
  // The kit's clock says the budget is (nearly) spent, so its timer fires soon: wait for it.
  return new Promise<never>((_resolve, reject) => {
    if (context.signal.aborted) reject(error);
    else context.signal.addEventListener("abort", () => reject(error), { once: true });
  });
}
