// Starts the reference store and the stub on loopback, wired to each other, for the stub's tests.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type RequestHandler } from "express";
import { silentLogger, type ProductInput } from "vizochok-merchant-kit";
import {
  createScriptedAgent,
  createVizochokStub,
  createWidgetClient,
  generateWebhookSecret,
  type Recipe,
  type TenantConfig,
  type VizochokStub,
  type VizochokStubOptions,
  type WidgetClient,
  type WidgetClientConfig,
} from "vizochok-merchant-kit/testing";
import { createStoreApp, type StoreApp, type StoreAppOptions } from "../../reference-store/app.js";

export const catalog = JSON.parse(readFileSync(new URL("../../fixtures/catalog.json", import.meta.url), "utf8")) as {
  products: ProductInput[];
  offers: Array<{ store_id: string; sku: string; price: number; promo_price?: number; stock: number }>;
};
export const recipes = JSON.parse(readFileSync(new URL("../../fixtures/recipes.json", import.meta.url), "utf8")) as Recipe[];

export const PUBLIC_KEY = "pk_test_shop";
export const SECRET_KEY = "sk_test_shop";

export interface Harness {
  store: StoreApp;
  stub: VizochokStub;
  secret: string;
  /** Base of the store's webhooks, e.g. `http://127.0.0.1:1234/api/vizochok`. */
  webhookBase: string;
  /** Middleware run before the store's routes; tests use it to slow the store down or break it. */
  intercept: { handler: RequestHandler | undefined };
  client(config?: Partial<WidgetClientConfig>): WidgetClient;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The secret the stub signs with; defaults to the store's own. */
  stubSecret?: string;
  tenant?: Partial<TenantConfig>;
  extraTenants?: (webhookBase: string, secret: string) => TenantConfig[];
  stub?: Partial<VizochokStubOptions>;
  /** The reference store's clock (default `Date.now`). */
  storeNow?: StoreAppOptions["now"];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const secret = generateWebhookSecret();
  const store = createStoreApp({ databasePath: ":memory:", secret, logger: silentLogger, ...(options.storeNow && { now: options.storeNow }) });
  const intercept: Harness["intercept"] = { handler: undefined };
  const outer = express();
  outer.use((request, response, next) => (intercept.handler ? intercept.handler(request, response, next) : next()));
  outer.use(store.app);
  const server = await new Promise<Server>((resolve) => {
    const listening = outer.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const webhookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/vizochok`;
  const stub = await createVizochokStub({
    retryDelayMs: 20,
    agent: createScriptedAgent({ recipes }),
    ...options.stub,
    tenants: [
      {
        id: "shop",
        publicKey: PUBLIC_KEY,
        secretKey: SECRET_KEY,
        stores: ["store-1", "store-2"],
        webhooks: {
          products_url: `${webhookBase}/check-products`,
          cart_url: `${webhookBase}/cart`,
          cart_get_url: `${webhookBase}/cart/items`,
          secret: options.stubSecret ?? secret,
          timeout_seconds: 2,
        },
        catalog: catalog.products,
        ...options.tenant,
      },
      ...(options.extraTenants?.(webhookBase, secret) ?? []),
    ],
  });
  const clients: WidgetClient[] = [];
  return {
    store,
    stub,
    secret,
    webhookBase,
    intercept,
    client(config = {}) {
      const client = createWidgetClient({ url: stub.wsUrl, publicKey: PUBLIC_KEY, storeId: "store-1", userId: "shopper-1", ...config });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await stub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}

/** The frames of one answer, by type, in order. */
export const types = (frames: Array<{ type: string }>) => frames.map((frame) => frame.type);

/** The answer's text, joined from its deltas. */
export const textOf = (frames: Array<{ type: string; delta?: string }>) =>
  frames.filter((frame) => frame.type === "text_delta").map((frame) => frame.delta).join("");
