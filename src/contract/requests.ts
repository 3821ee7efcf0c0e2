import type { WebhookCall, WebhookReply } from "./client.js";
import type { ContractContext } from "./contract-case.js";
import { expectCart, expectCartAnswer } from "./expect-reply.js";

/** Builders for the calls most cases make, so each case reads as its scenario. */
export function cartCall(
  context: ContractContext,
  session: string,
  fields: Record<string, unknown>,
  extra: Omit<WebhookCall, "target" | "body"> = {},
): WebhookCall {
  return { target: "cart", body: { store_id: context.config.storeId, session_id: session, ...fields }, ...extra };
}

export function add(context: ContractContext, session: string, sku: string, quantity?: number): Promise<WebhookReply> {
  return context.client.send(cartCall(context, session, { action: "add", sku, ...(quantity === undefined ? {} : { quantity }) }));
}

/** Adds `quantity` × inStockSku to the session's cart; a violation unless it answers {"ok": true}. */
export async function addInStock(context: ContractContext, session: string, quantity: number): Promise<void> {
  expectCartAnswer(await add(context, session, context.config.inStockSku, quantity), { ok: true }, "the SKU is inStockSku");
}

export function productsCall(context: ContractContext, skus: string[]): WebhookCall {
  return { target: "products", body: { skus, store_id: context.config.storeId } };
}

export function cartGetCall(context: ContractContext, session: string, storeId = context.config.storeId): WebhookCall {
  return { target: "cartGet", query: { store_id: storeId, session_id: session } };
}

/** The session's cart through a correctly signed cart GET. */
export async function readCart(context: ContractContext, session: string): Promise<{ items: ReturnType<typeof expectCart>; reply: WebhookReply }> {
  const reply = await context.client.send(cartGetCall(context, session));
  return { items: expectCart(reply), reply };
}

/** A SKU that no catalog has, different on every call. */
export function unknownSku(context: ContractContext): string {
  return context.unique("vizochok-contract-unknown");
}
