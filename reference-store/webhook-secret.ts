import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { WebhookLogger } from "vizochok-merchant-kit";

export interface ResolveWebhookSecretOptions {
  env: NodeJS.ProcessEnv;
  /** The secret is kept beside the database, in `webhook-secret`. */
  databasePath: string;
  logger: WebhookLogger;
  /** How long an empty secret file is taken for one still being written before it is replaced. Default 2,000 ms. */
  waitForWriterMs?: number;
  /** Blocks for `ms` between reads of an empty file. Default: a real synchronous sleep. */
  sleep?: (ms: number) => void;
}

export interface ResolvedWebhookSecret {
  secret: string;
  /**
   * `env`: from `VIZOCHOK_WEBHOOK_SECRET` (never print it whole); `generated`: created and saved by
   * this start; `file`: saved by an earlier start; `memory`: generated for an in-memory run, not kept.
   */
  source: "env" | "generated" | "file" | "memory";
  /** Where a generated secret is kept. */
  file?: string;
}

const POLL_MS = 25;

/** The format VIZOCHOK's settings page accepts: `whsec_` and 32 random bytes in hex. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("hex")}`;
}

/**
 * Enough of a secret to tell which one is in use, never enough to sign with it.
 *
 * @example
 * redactWebhookSecret("whsec_1a2b3c4d5e6f…"); // "whsec_1a2b…"
 */
export function redactWebhookSecret(secret: string): string {
  return `${secret.slice(0, Math.min(10, Math.floor(secret.length / 3)))}…`;
}

/**
 * `VIZOCHOK_WEBHOOK_SECRET` when set. Otherwise, outside production, a generated secret kept in
 * the data directory and printed once, when it is created, so you can paste it into VIZOCHOK.
 *
 * @example
 * const secret = resolveWebhookSecret({ env: process.env, databasePath: "./data/store.db", logger });
 */
export function resolveWebhookSecret(options: ResolveWebhookSecretOptions): string {
  return loadWebhookSecret(options).secret;
}

/**
 * `resolveWebhookSecret`, also saying where the secret came from. Several processes starting at
 * once on one data directory all get the same secret: it is written whole to a temporary file and
 * then linked into place, which fails if another process got there first.
 *
 * @example
 * const { secret, source, file } = loadWebhookSecret({ env: process.env, databasePath: "./data/store.db", logger });
 */
export function loadWebhookSecret(options: ResolveWebhookSecretOptions): ResolvedWebhookSecret {
  const fromEnv = options.env["VIZOCHOK_WEBHOOK_SECRET"];
  if (fromEnv !== undefined && fromEnv !== "") return { secret: fromEnv, source: "env" };
  if (options.env["NODE_ENV"] === "production") {
    throw new Error("VIZOCHOK_WEBHOOK_SECRET must be set in production");
  }
  if (options.databasePath === ":memory:") {
    const secret = generateWebhookSecret();
    options.logger.warn({ secret }, "VIZOCHOK_WEBHOOK_SECRET is not set; generated one for this in-memory run (not kept)");
    return { secret, source: "memory" };
  }
  const file = join(dirname(options.databasePath), "webhook-secret");
  const waitForWriterMs = options.waitForWriterMs ?? 2_000;
  const sleep = options.sleep ?? sleepSync;
  mkdirSync(dirname(file), { recursive: true });
  let waited = 0;
  for (;;) {
    const saved = readSecret(file);
    if (saved !== undefined && saved !== "") return { secret: saved, source: "file", file };
    if (saved === undefined) {
      const secret = generateWebhookSecret();
      if (publish(file, secret)) {
        options.logger.warn({ secret, file }, "VIZOCHOK_WEBHOOK_SECRET is not set; generated one and saved it (shown only this once)");
        return { secret, source: "generated", file };
      }
      continue; // another process published first: use its secret
    }
    // Empty: not yet written (a writer that writes in place), or left so by one that died.
    if (waited >= waitForWriterMs) {
      removeIfEmpty(file);
      continue;
    }
    sleep(POLL_MS);
    waited += POLL_MS;
  }
}

/** The trimmed content, or `undefined` when there is no file. */
function readSecret(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes the secret whole, then links it into place; false when the file already exists. */
function publish(file: string, secret: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, `${secret}\n`, { flag: "wx", mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

function removeIfEmpty(file: string): void {
  if (readSecret(file) !== "") return;
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
