import { AsyncLocalStorage } from "node:async_hooks";
import type { PoolClient } from "pg";
import type { CartResponse } from "vizochok-merchant-kit";

/** Work a cart change's transaction does after deciding and before COMMIT, on the same connection. */
export type BeforeCommit = (tx: PoolClient, answer: CartResponse) => Promise<void>;

const scope = new AsyncLocalStorage<readonly BeforeCommit[]>();

/**
 * Runs `work` so that any PostgreSQL store change it makes also runs `beforeCommit` inside its
 * own transaction: the audit row (and the replay guard's answer) commit with the change or not at
 * all. Nested calls add up.
 *
 * @example
 * await withinPostgresChange(async (tx, answer) => { await tx.query("INSERT …") }, () => store.add(request, deadline));
 */
export function withinPostgresChange<T>(beforeCommit: BeforeCommit, work: () => T | Promise<T>): Promise<T> {
  return scope.run([...(scope.getStore() ?? []), beforeCommit], async () => await work());
}

/** What the current change must do before COMMIT. */
export function pendingBeforeCommit(): readonly BeforeCommit[] {
  return scope.getStore() ?? [];
}
