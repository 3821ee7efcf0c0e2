import { z } from "zod";
import { Sku } from "../schemas.js";
import { DEFAULT_PATHS } from "../webhook-core.js";

const Path = z.string().startsWith("/");

/**
 * The test data the suite cannot guess, as a JSON config file holds it. Only `inStockSku` is
 * required; cases whose data is missing are skipped with the reason.
 */
export const ContractConfig = z.strictObject({
  /** The store the cases shop in. Default `"store-1"`. */
  storeId: z.string().min(1).optional(),
  /** A product the store has in stock: the one SKU the suite needs. */
  inStockSku: Sku,
  /** A product the store knows but has none of: the `out_of_stock` cases. */
  outOfStockSku: z.optional(Sku),
  /** `available` is what one new session can add before `quantity_exceeded`. */
  limitedSku: z.strictObject({ sku: Sku, available: z.number().positive() }).optional(),
  /** A second store, to check carts are isolated per store. Default: a store id no one uses. */
  otherStoreId: z.string().min(1).optional(),
  /** `cartGet: null` when the backend has no cart GET webhook (its cases are skipped). */
  paths: z.strictObject({ products: Path.optional(), cart: Path.optional(), cartGet: Path.nullable().optional() }).optional(),
  /** p95 latency the products webhook must stay under. Default 1,000 ms, a fifth of VIZOCHOK's 5 s. */
  latencyBudgetMs: z.number().positive().optional(),
});
/** The contract config as written (JSON file or object): only `inStockSku` is required. */
export type ContractConfig = z.input<typeof ContractConfig>;

/** A `ContractConfig` with every default filled in, as the cases read it. */
export interface ResolvedContractConfig {
  /** The store the cases shop in. */
  storeId: string;
  /** A product in stock. */
  inStockSku: string;
  /** A product out of stock; `undefined` skips the cases that need it. */
  outOfStockSku: string | undefined;
  /** A product with a per-session limit, and how many one new session may add; `undefined` skips its cases. */
  limitedSku: { sku: string; available: number } | undefined;
  /** A second store, for the store-isolation case. */
  otherStoreId: string;
  /** The webhook paths under the base URL; `cartGet: null` when there is no cart GET webhook. */
  paths: { products: string; cart: string; cartGet: string | null };
  /** p95 latency, in milliseconds, the webhooks must stay under. */
  latencyBudgetMs: number;
}

/** What `parseContractConfig` answers: the resolved config, or a message naming every problem. */
export type ParsedContractConfig =
  | {
      /** The config is usable. */
      ok: true;
      /** The config with its defaults. */
      config: ResolvedContractConfig;
    }
  | {
      /** The config is not usable; nothing was run. */
      ok: false;
      /** `invalid contract config: ` and each problem as `field: message`. */
      message: string;
    };

/**
 * Validates a config (parsed JSON or an object) and fills in the defaults.
 *
 * @example
 * const parsed = parseContractConfig(JSON.parse(readFileSync("contract.json", "utf8")));
 * if (!parsed.ok) throw new Error(parsed.message);
 */
export function parseContractConfig(input: unknown): ParsedContractConfig {
  const parsed = ContractConfig.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`);
    return { ok: false, message: `invalid contract config: ${issues.join("; ")}` };
  }
  const config = parsed.data;
  return {
    ok: true,
    config: {
      storeId: config.storeId ?? "store-1",
      inStockSku: config.inStockSku,
      outOfStockSku: config.outOfStockSku,
      limitedSku: config.limitedSku,
      otherStoreId: config.otherStoreId ?? "vizochok-contract-other-store",
      paths: {
        products: config.paths?.products ?? DEFAULT_PATHS.products,
        cart: config.paths?.cart ?? DEFAULT_PATHS.cart,
        cartGet: config.paths?.cartGet === undefined ? DEFAULT_PATHS.cartGet : config.paths.cartGet,
      },
      latencyBudgetMs: config.latencyBudgetMs ?? 1_000,
    },
  };
}
