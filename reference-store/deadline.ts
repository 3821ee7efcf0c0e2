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
 * Runs a synchronous write that checks `deadline` before it commits. When it rolls back for lack
 * of time, the answer is left to the kit, which answers 503 `handler_timeout` once the budget
 * runs out, so VIZOCHOK's single retry applies the change exactly once.
 *
 * @example
 * add: (request, context) => withinDeadline(context, (deadline) => store.add(request, deadline)),
 */
export async function withinDeadline<T>(context: WebhookContext, write: (deadline: number) => T): Promise<T> {
  if (context.signal.aborted) throw new DeadlineExceededError(context.deadline);
  try {
    return write(context.deadline);
  } catch (error) {
    if (!(error instanceof DeadlineExceededError)) throw error;
    // The kit's budget timer is due (its clock says the deadline has passed): let it answer 503.
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    throw error;
  }
}
