/** Close codes after which a client must not reconnect: the key or the auth frame is wrong. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 4002, 4003, 4004]);

export const MAX_RECONNECT_ATTEMPTS = 30;

/** The widget's back-off: `min(1000 · 2^attempt, 10000)` ms with ±25 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(1000 * 2 ** attempt, 10_000);
  return Math.round(base * (1 + (random() * 2 - 1) * 0.25));
}
