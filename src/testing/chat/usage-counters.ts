// Counters behind the chat limits: a sliding window per connection, daily and monthly totals.

/** Seconds until another message fits, or 0 when this one is accepted (and counted). */
export function takeFromWindow(times: number[], now: number, limit: number, windowMs: number): number {
  while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
  if (times.length >= limit) return Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
  times.push(now);
  return 0;
}

export interface UsageCounters {
  get(key: string): number;
  add(key: string, amount: number): void;
}

export function createUsageCounters(): UsageCounters {
  const counts = new Map<string, number>();
  return {
    get: (key) => counts.get(key) ?? 0,
    add: (key, amount) => counts.set(key, (counts.get(key) ?? 0) + amount),
  };
}

const DAY_MS = 86_400_000;
// Every turn asks for the day and month; they change once a day, so the last answer is kept.
let lastDay = { number: Number.NaN, iso: "" };

function isoDate(now: number): string {
  const number = Math.floor(now / DAY_MS);
  if (number !== lastDay.number) lastDay = { number, iso: new Date(number * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.iso;
}

export function utcDay(now: number): string {
  return isoDate(now);
}

export function utcMonth(now: number): string {
  return isoDate(now).slice(0, 7);
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
