import { randomId } from "../crypto.js";
import type { WebhookHandlers } from "../handlers.js";
import { consoleLogger, type WebhookLogger } from "../logger.js";
import { createMemoryReplayGuard, type IdenticalRequestPolicy, type ReplayGuard } from "../replay-guard.js";
import { DEFAULT_TOLERANCE_SECONDS, type GetSigningMode } from "../signature.js";
import { choiceRule, describe, functionRule, paddedSecrets, positiveRule, secretsRule, type Rule } from "./option-rules.js";
import { DEFAULT_PATHS, type WebhookPaths } from "./routing.js";

/** What `createWebhookRouter`, `createNodeWebhookHandler` and `createWebWebhookHandler` take. */
export interface WebhookKitOptions {
  /**
   * The webhook secret VIZOCHOK signs with, usually `process.env.VIZOCHOK_WEBHOOK_SECRET`; during
   * a rotation a list, current first, then the previous ones. Each a non-empty string, used
   * exactly as given (whitespace at either end is logged as a warning at setup).
   */
  secret: string | readonly string[];
  /** The merchant's code: `products` is required; the cart methods and `cartGet` as implemented. */
  handlers: WebhookHandlers;
  /**
   * Where each webhook lives, relative to where the kit is mounted (Express) or as the full
   * pathname (node:http, fetch). Each starts with `/`; `products` and `cart` (both POST) differ,
   * `cartGet` (a GET) may share a path with either. Default `/check-products`, `/cart`, `/cart/items`.
   */
  paths?: Partial<WebhookPaths>;
  /** Largest accepted body in bytes, finite and > 0; bigger bodies get 413 unread. Default 64 KiB (a products request for 500 SKUs fits). */
  bodyLimit?: number;
  /** Accepted clock difference in seconds, both ways, finite and > 0. Default 300. */
  toleranceSeconds?: number;
  /** Milliseconds a handler has before the kit answers 503 and aborts its `signal`, finite and > 0. Default 4,500 of VIZOCHOK's 5 s. */
  budgetMs?: number;
  /** What a cart GET signature covers (see `GetSigningMode`). Default `"empty-body"`, what VIZOCHOK sends. */
  getSigning?: GetSigningMode;
  /** Where cart POST deliveries are remembered, shared by every instance; `false` turns the guard off. Default: in this process's memory. */
  replayGuard?: ReplayGuard | false;
  /**
   * A byte-identical cart POST that arrives after the first was answered and less than 1 s after
   * it arrived is a new request (a shopper adding the same product again): `"apply"` runs it,
   * `"refuse"` answers `409 duplicate_delivery`. Default `"apply"`.
   */
  identicalRequests?: IdenticalRequestPolicy;
  /** Receives one line per answer and every failure; pino fits as is. Default: warnings and errors as JSON lines on stderr. */
  logger?: WebhookLogger;
  /** The clock, in epoch milliseconds; inject one in tests. Default `Date.now`. */
  now?: () => number;
  /** Makes the `x-request-id` of each answer and the `requestId` in the log. Default: a random (version 4) UUID. */
  generateRequestId?: () => string;
}

/** The options after the checks at setup: every default filled in, nothing left to check per request. */
export interface NormalizedKitOptions {
  secrets: readonly string[];
  handlers: WebhookHandlers;
  paths: WebhookPaths;
  bodyLimit: number;
  toleranceSeconds: number;
  budgetMs: number;
  getSigning: GetSigningMode;
  /** `undefined`: the guard is off. */
  replayGuard: ReplayGuard | undefined;
  identicalRequests: IdenticalRequestPolicy;
  logger: WebhookLogger;
  now: () => number;
  generateRequestId: () => string;
}

const OPTION_NAMES = [
  "secret",
  "handlers",
  "paths",
  "bodyLimit",
  "toleranceSeconds",
  "budgetMs",
  "getSigning",
  "replayGuard",
  "identicalRequests",
  "logger",
  "now",
  "generateRequestId",
] as const satisfies readonly (keyof WebhookKitOptions)[];
const HANDLER_NAMES = ["products", "add", "remove", "updateQuantity", "clear", "cartGet"] as const;
const PATH_NAMES = ["products", "cart", "cartGet"] as const;
// setTimeout fires at once for a delay above 2^31 - 1 ms, which would time out every handler.
const MAX_BUDGET = { value: 2_147_483_647, why: "the largest timer delay" };

/**
 * Checks every option once, at setup, and fills in the defaults. A value the kit cannot use
 * throws a TypeError naming the option (a NaN window would switch the time check off, a
 * negative body limit refuse every POST, colliding paths send one webhook to another's code).
 * Later changes to the caller's `options` or `paths` objects change nothing.
 */
export function normalizeKitOptions(options: WebhookKitOptions): NormalizedKitOptions {
  if (options === null || typeof options !== "object") fail(`options must be an object: { secret, handlers }, got ${describe(options)}`);
  take(knownNamesRule(options));
  const logger = take(loggerRule(options.logger));
  const secrets = [...take(secretsRule(options.secret, "secret"))];
  const now = take(functionRule(options.now, "now", Date.now));
  const normalized: NormalizedKitOptions = {
    secrets,
    handlers: take(handlersRule(options.handlers)),
    paths: take(pathsRule(options.paths)),
    bodyLimit: take(positiveRule(options.bodyLimit, "bodyLimit", 64 * 1024)),
    toleranceSeconds: take(positiveRule(options.toleranceSeconds, "toleranceSeconds", DEFAULT_TOLERANCE_SECONDS)),
    budgetMs: take(positiveRule(options.budgetMs, "budgetMs", 4_500, MAX_BUDGET)),
    getSigning: take(choiceRule(options.getSigning, "getSigning", ["empty-body", "path-and-query"])),
    replayGuard: take(replayGuardRule(options.replayGuard, now)),
    identicalRequests: take(choiceRule(options.identicalRequests, "identicalRequests", ["apply", "refuse"])),
    logger,
    now,
    generateRequestId: take(functionRule(options.generateRequestId, "generateRequestId", randomId)),
  };
  const padded = paddedSecrets(secrets);
  if (padded.length > 0) {
    // Said once, here; the 401 a request then gets stays as terse as any other.
    logger.warn(
      { option: "secret", indexes: padded },
      "the webhook secret starts or ends with whitespace; VIZOCHOK signs with the secret exactly as issued, so check how it is loaded (a trailing newline in an env or secrets file is the usual cause)",
    );
  }
  return normalized;
}

function take<T>(rule: Rule<T>): T {
  if (!rule.ok) fail(rule.message);
  return rule.value;
}

function fail(message: string): never {
  throw new TypeError(`vizochok-merchant-kit: ${message}`);
}

/**
 * A misspelt option (`bodylimit`, `secrets`) would otherwise be ignored and its default used
 * without a word; the message names the option meant when one is close.
 */
function knownNamesRule(options: object): Rule<undefined> {
  const unknown = Object.keys(options).find((key) => !(OPTION_NAMES as readonly string[]).includes(key));
  if (unknown === undefined) return { ok: true, value: undefined };
  const meant = OPTION_NAMES.find((name) => closeTo(unknown, name));
  const hint = meant === undefined ? `the options are ${OPTION_NAMES.join(", ")}` : `did you mean ${meant}?`;
  return { ok: false, message: `options.${unknown} is not an option; ${hint}` };
}

/** The same name but for case, or at most two letters added, dropped or changed. */
function closeTo(given: string, name: string): boolean {
  const a = given.toLowerCase();
  const b = name.toLowerCase();
  // Stryker disable next-line ConditionalExpression: a shortcut only; the distance is at least the difference in length, so the loop answers false as well
  if (Math.abs(a.length - b.length) > 2) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]! <= 2;
}

function loggerRule(value: unknown): Rule<WebhookLogger> {
  if (value === undefined) return { ok: true, value: consoleLogger };
  const logger = value as Partial<Record<keyof WebhookLogger, unknown>> | null;
  const missing = (["info", "warn", "error"] as const).filter((level) => typeof logger?.[level] !== "function");
  if (missing.length === 0) return { ok: true, value: value as WebhookLogger };
  return { ok: false, message: `logger must have info, warn and error methods (pino's API); ${missing.join(", ")} missing in ${describe(value)}` };
}

function handlersRule(value: unknown): Rule<WebhookHandlers> {
  if (value === null || typeof value !== "object") return { ok: false, message: `handlers must be an object with at least products(request, context), got ${describe(value)}` };
  const handlers = value as Record<string, unknown>;
  if (typeof handlers.products !== "function") return { ok: false, message: `handlers.products is required: a function, got ${describe(handlers.products)}` };
  for (const name of HANDLER_NAMES) {
    if (handlers[name] !== undefined && typeof handlers[name] !== "function") {
      return { ok: false, message: `handlers.${name} must be a function, got ${describe(handlers[name])}` };
    }
  }
  return { ok: true, value: value as WebhookHandlers };
}

function pathsRule(value: unknown): Rule<WebhookPaths> {
  if (value === undefined) return { ok: true, value: { ...DEFAULT_PATHS } };
  if (value === null || typeof value !== "object") return { ok: false, message: `paths must be an object such as { products: "/check-products" }, got ${describe(value)}` };
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !(PATH_NAMES as readonly string[]).includes(key));
  if (unknown.length > 0) return { ok: false, message: `paths.${unknown[0]} is not a webhook; the paths are ${PATH_NAMES.join(", ")}` };
  const paths: WebhookPaths = { ...DEFAULT_PATHS };
  for (const name of PATH_NAMES) {
    const path = given[name];
    if (path === undefined) continue;
    if (typeof path !== "string" || !path.startsWith("/")) return { ok: false, message: `paths.${name} must be a pathname starting with /, got ${typeof path === "string" ? JSON.stringify(path) : describe(path)}` };
    if (/[?#\s]/.test(path)) return { ok: false, message: `paths.${name} must be a pathname without query, fragment or whitespace, got ${JSON.stringify(path)}` };
    paths[name] = path;
  }
  // Requests are matched with or without a trailing slash, so "/cart/" is the cart path too.
  const bare = (path: string) => (path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
  if (bare(paths.products) === bare(paths.cart)) {
    return { ok: false, message: `paths.products and paths.cart are both ${JSON.stringify(paths.cart)}; both webhooks are POSTs, so each needs a path of its own` };
  }
  return { ok: true, value: paths };
}

function replayGuardRule(value: unknown, now: () => number): Rule<ReplayGuard | undefined> {
  if (value === false) return { ok: true, value: undefined };
  if (value === undefined) return { ok: true, value: createMemoryReplayGuard({ now }) };
  const guard = value as Partial<Record<keyof ReplayGuard, unknown>> | null;
  const missing = (["begin", "complete", "release"] as const).filter((method) => typeof guard?.[method] !== "function");
  if (missing.length === 0) return { ok: true, value: value as ReplayGuard };
  return { ok: false, message: `replayGuard must be a ReplayGuard (begin, complete, release) or false; ${missing.join(", ")} missing in ${describe(value)}` };
}
