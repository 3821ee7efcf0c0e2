/**
 * Quantities are stored as integer thousandths of the product's unit (1.5 kg → 1500), so sums
 * of fractional weights never drift and stock checks compare exact integers.
 */
export const MILLI = 1000;

/** `undefined` when the quantity has more than three decimals and cannot be stored exactly. */
export function toMilli(quantity: number): number | undefined {
  const milli = Math.round(quantity * MILLI);
  return Math.abs(milli - quantity * MILLI) < 1e-6 ? milli : undefined;
}

export function fromMilli(milli: number): number {
  return milli / MILLI;
}

/** Money rounded to kopiykas, as a shopper sees it. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}
