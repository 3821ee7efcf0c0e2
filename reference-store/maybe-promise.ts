/** A store answers with a value (SQLite, synchronous) or a promise of one (PostgreSQL). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Applies `next` to a value or to what a promise resolves to, staying synchronous when the value is.
 *
 * @example
 * andThen(store.cart(query), (cart) => ({ items: cart.items }));
 */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
