/**
 * The rules every option of the kit is held to, written once: the core throws a TypeError with
 * the message at setup, `verifyWebhookSignature` answers it as an `invalid_options` result.
 * Each rule returns the normalized value, or a message that names the option.
 */
export type Rule<T> = { ok: true; value: T } | { ok: false; message: string };

const SECRET_SOURCE = "it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET";

/** One secret or a non-empty list of them (current first), each a non-empty string. A list is returned as given, not copied. */
export function secretsRule(value: unknown, name: string): Rule<readonly string[]> {
  if (typeof value === "string" && value.length > 0) return { ok: true, value: [value] };
  if (Array.isArray(value) && value.length > 0) {
    const index = value.findIndex((secret) => typeof secret !== "string" || secret.length === 0);
    if (index === -1) return { ok: true, value: value as readonly string[] };
    return { ok: false, message: `${name}[${index}] must be a non-empty string, got ${describeSecret(value[index])} (${SECRET_SOURCE})` };
  }
  return { ok: false, message: `${name} must be a non-empty string or a list of them, got ${describeSecret(value)}; ${SECRET_SOURCE}, which may be unset` };
}

/** Exactly one secret, a non-empty string (what signs the requests a client sends). */
export function secretRule(value: unknown, name: string): Rule<string> {
  if (typeof value === "string" && value.length > 0) return { ok: true, value };
  return { ok: false, message: `${name} must be a non-empty string, got ${describeSecret(value)}; ${SECRET_SOURCE}, which may be unset` };
}

/** The indexes of secrets with whitespace at either end: VIZOCHOK signs with the secret as issued. */
export function paddedSecrets(secrets: readonly string[]): number[] {
  return secrets.flatMap((secret, index) => (secret.trim() === secret ? [] : [index]));
}

/** A finite number > 0 (at most `max` when given), or `fallback` when left out. */
export function positiveRule(value: unknown, name: string, fallback: number, max?: { value: number; why: string }): Rule<number> {
  if (value === undefined) return { ok: true, value: fallback };
  if (!isFiniteNumber(value) || value <= 0) {
    return { ok: false, message: `${name} must be a finite number > 0, got ${describe(value)}` };
  }
  if (max !== undefined && value > max.value) return { ok: false, message: `${name} must be at most ${max.value} (${max.why}), got ${describe(value)}` };
  return { ok: true, value };
}

/** `Number.isFinite`, which is false for anything but a number, as a type guard. */
function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value);
}

/** One of `choices`, or the first of them when left out. */
export function choiceRule<const T extends string>(value: unknown, name: string, choices: readonly [T, ...T[]]): Rule<T> {
  if (value === undefined) return { ok: true, value: choices[0] };
  if ((choices as readonly unknown[]).includes(value)) return { ok: true, value: value as T };
  return { ok: false, message: `${name} must be ${choices.map((choice) => `"${choice}"`).join(" or ")}, got ${describe(value)}` };
}

/** A function, or `fallback` when left out. */
export function functionRule<T extends (...args: never[]) => unknown>(value: unknown, name: string, fallback: T): Rule<T> {
  if (value === undefined) return { ok: true, value: fallback };
  if (typeof value === "function") return { ok: true, value: value as T };
  return { ok: false, message: `${name} must be a function, got ${describe(value)}` };
}

/** What a value is, in words, for a message; strings are never quoted (they may be secrets). */
export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return value.length === 0 ? "an empty string" : "a string";
  if (typeof value === "number") return `the number ${String(value)}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** As `describe`, but a number is not shown either: a secret read as a number is still secret. */
function describeSecret(value: unknown): string {
  return typeof value === "number" ? "a number" : describe(value);
}
