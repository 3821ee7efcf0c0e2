import { randomBytes } from "node:crypto";

/**
 * A fresh webhook secret in the format the stub (and VIZOCHOK's dashboard) hands out.
 *
 * @example
 * const secret = generateWebhookSecret(); // "whsec_3f9a…" (64 hex digits)
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("hex")}`;
}
