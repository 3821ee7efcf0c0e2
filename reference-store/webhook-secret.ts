import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { WebhookLogger } from "vizochok-merchant-kit";

export interface ResolveWebhookSecretOptions {
  env: NodeJS.ProcessEnv;
  /** The secret is kept beside the database, in `webhook-secret`. */
  databasePath: string;
  logger: WebhookLogger;
}

/** The format VIZOCHOK's settings page accepts: `whsec_` and 32 random bytes in hex. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("hex")}`;
}

/**
 * `VIZOCHOK_WEBHOOK_SECRET` when set. Otherwise, outside production, a generated secret kept in
 * the data directory and printed once, when it is created, so you can paste it into VIZOCHOK.
 *
 * @example
 * const secret = resolveWebhookSecret({ env: process.env, databasePath: "./data/store.db", logger });
 */
export function resolveWebhookSecret(options: ResolveWebhookSecretOptions): string {
  const fromEnv = options.env["VIZOCHOK_WEBHOOK_SECRET"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (options.env["NODE_ENV"] === "production") {
    throw new Error("VIZOCHOK_WEBHOOK_SECRET must be set in production");
  }
  if (options.databasePath === ":memory:") {
    const secret = generateWebhookSecret();
    options.logger.warn({ secret }, "VIZOCHOK_WEBHOOK_SECRET is not set; generated one for this in-memory run");
    return secret;
  }
  const file = join(dirname(options.databasePath), "webhook-secret");
  const secret = generateWebhookSecret();
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${secret}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readFileSync(file, "utf8").trim();
  }
  options.logger.warn({ secret, file }, "VIZOCHOK_WEBHOOK_SECRET is not set; generated one and saved it (shown only this once)");
  return secret;
}
