import { createHash } from "node:crypto";
import { ProductInput, type Product } from "../../schemas.js";
import { webhookUrlProblem } from "./url-policy.js";

/** Per-tenant limits; every one of them has the protocol's default. */
/** A tenant's limits, as VIZOCHOK documents them; each has a default (`DEFAULT_LIMITS`). */
export interface TenantLimits {
  /** Messages (and actions) per connection in `messageWindowMs`. Default 10. */
  messagesPerWindow: number;
  /** The window `messagesPerWindow` counts in. Default 60,000 ms. */
  messageWindowMs: number;
  /** Messages per user per UTC day. Default 200. */
  userMessagesPerDay: number;
  /** New conversations per user per UTC day. Default 20. */
  userConversationsPerDay: number;
  /** Open connections per public key. Default 3. */
  connectionsPerKey: number;
  /** Largest client frame in bytes. Default 65,536. */
  maxFrameBytes: number;
  /** Time the agent has for one turn. Default 120,000 ms. */
  agentTimeoutMs: number;
  /** Inactivity after which a conversation is forgotten. Default one hour. */
  sessionTtlMs: number;
  /** Estimated tokens (characters / 4) per conversation. Default 200,000. */
  sessionTokens: number;
  /** Estimated tokens per tenant per UTC day. Default 5,000,000. */
  tenantDailyTokens: number;
  /** Estimated tokens per tenant per UTC month. Default 100,000,000. */
  tenantMonthlyTokens: number;
  /** Tool calls the agent may make in one turn. Default 25. */
  maxRounds: number;
}

export const DEFAULT_LIMITS: TenantLimits = {
  messagesPerWindow: 10,
  messageWindowMs: 60_000,
  userMessagesPerDay: 200,
  userConversationsPerDay: 20,
  connectionsPerKey: 3,
  maxFrameBytes: 64 * 1024,
  agentTimeoutMs: 120_000,
  sessionTtlMs: 60 * 60 * 1000,
  sessionTokens: 200_000,
  tenantDailyTokens: 5_000_000,
  tenantMonthlyTokens: 100_000_000,
  maxRounds: 25,
};

/** A tenant's webhook settings, named as VIZOCHOK's admin API names them. */
export interface WebhookSettings {
  /** Where products checks are POSTed: the merchant's products webhook, an absolute URL. */
  products_url: string;
  /** Where cart changes are POSTed; without it the agent cannot change carts. */
  cart_url?: string;
  /** Where the cart is read with GET; optional, as on VIZOCHOK. */
  cart_get_url?: string;
  /** The secret the stub signs every webhook with; the merchant verifies with the same. */
  secret: string;
  /** Default 5. Fractions are allowed so tests can use a short timeout. */
  timeout_seconds?: number;
}

/** One tenant (a retailer) as the stub is started with it. */
export interface TenantConfig {
  /** The tenant's id, unique in the stub. */
  id: string;
  /** A display name. Default: the id. */
  name?: string;
  /** The widget's key, `pk_…`. Kept only as a SHA-256 hash. */
  publicKey: string;
  /** The admin key, `sk_…`. Kept only as a SHA-256 hash. */
  secretKey: string;
  /** Store ids the tenant's key may chat for; the first is the default. */
  stores: string[];
  /** Where the stub sends this tenant's webhooks, and the secret it signs them with. */
  webhooks: WebhookSettings;
  /** Products the agent searches, as uploaded to VIZOCHOK. Default: none (upload through the admin API). */
  catalog?: ProductInput[];
  /** Overrides of `DEFAULT_LIMITS`. */
  limits?: Partial<TenantLimits>;
}

/** A tenant as the stub holds it: keys hashed, settings mutable through the admin API. */
export interface Tenant {
  id: string;
  name: string;
  publicKeyHash: string;
  stores: readonly string[];
  webhooks: WebhookSettings & { timeout_seconds: number };
  catalog: Map<string, Product>;
  limits: TenantLimits;
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export interface TenantRegistry {
  byPublicKey(key: string): Tenant | undefined;
  bySecretKey(key: string): Tenant | undefined;
  get(id: string): Tenant | undefined;
  all(): Tenant[];
}

export function createTenantRegistry(configs: readonly TenantConfig[], enforceProductionUrls: boolean): TenantRegistry {
  const byId = new Map<string, Tenant>();
  const publicKeys = new Map<string, Tenant>();
  const secretKeys = new Map<string, Tenant>();
  for (const config of configs) {
    if (byId.has(config.id)) throw new TypeError(`tenant ${config.id}: duplicate id`);
    if (!config.publicKey.startsWith("pk_")) throw new TypeError(`tenant ${config.id}: publicKey must start with "pk_"`);
    if (!config.secretKey.startsWith("sk_")) throw new TypeError(`tenant ${config.id}: secretKey must start with "sk_"`);
    if (config.stores.length === 0) throw new TypeError(`tenant ${config.id}: at least one store is needed`);
    if (!config.webhooks.secret) throw new TypeError(`tenant ${config.id}: webhooks.secret is empty`);
    for (const key of ["products_url", "cart_url", "cart_get_url"] as const) {
      const url = config.webhooks[key];
      const problem = url === undefined ? undefined : webhookUrlProblem(url, enforceProductionUrls);
      if (problem !== undefined) throw new TypeError(`tenant ${config.id}: ${key} ${problem}`);
    }
    const publicKeyHash = hashKey(config.publicKey);
    const secretKeyHash = hashKey(config.secretKey);
    if (publicKeys.has(publicKeyHash) || secretKeys.has(secretKeyHash)) throw new TypeError(`tenant ${config.id}: keys must be unique`);
    const catalog = new Map<string, Product>();
    for (const input of config.catalog ?? []) {
      const product = ProductInput.parse(input);
      catalog.set(product.sku, product);
    }
    const tenant: Tenant = {
      id: config.id,
      name: config.name ?? config.id,
      publicKeyHash,
      stores: [...config.stores],
      webhooks: { ...config.webhooks, timeout_seconds: config.webhooks.timeout_seconds ?? 5 },
      catalog,
      limits: { ...DEFAULT_LIMITS, ...config.limits },
    };
    byId.set(tenant.id, tenant);
    publicKeys.set(publicKeyHash, tenant);
    secretKeys.set(secretKeyHash, tenant);
  }
  return {
    byPublicKey: (key) => publicKeys.get(hashKey(key)),
    bySecretKey: (key) => secretKeys.get(hashKey(key)),
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
  };
}
