import type { CartItem, SessionSummary } from "../../schemas.js";

/** What a shopper has selected in one store, as VIZOCHOK mirrors it after each confirmed change. */
export type Selection = Map<string, CartItem>;

export type CartEventName = "item_selected" | "item_removed" | "quantity_updated" | "cart_cleared";

/** One confirmed change, as the `event` and `cart_changed` frames describe it. */
export interface CartChange {
  action: CartEventName;
  sku?: string;
  name?: string;
  quantity?: number;
  price?: number;
}

export function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Quantities keep three decimals so 0.1 kg steps add up to 0.3, not 0.30000000000000004. */
export function roundQuantity(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The total a shopper pays: the promo price where there is one. */
export function summarize(selection: Selection): SessionSummary {
  const items = [...selection.values()];
  const total = items.reduce((sum, item) => sum + (item.promo_price ?? item.price) * item.quantity, 0);
  return { selected_items: items.map((item) => ({ ...item })), total: roundMoney(total), item_count: items.length };
}

export interface SelectionStore {
  get(tenantId: string, storeId: string, sessionId: string): Selection;
  replace(tenantId: string, storeId: string, sessionId: string, items: CartItem[]): Selection;
}

export function createSelectionStore(): SelectionStore {
  const selections = new Map<string, Selection>();
  const key = (tenantId: string, storeId: string, sessionId: string) => `${tenantId}\u0000${storeId}\u0000${sessionId}`;
  return {
    get(tenantId, storeId, sessionId) {
      const id = key(tenantId, storeId, sessionId);
      let selection = selections.get(id);
      if (selection === undefined) selections.set(id, (selection = new Map()));
      return selection;
    },
    replace(tenantId, storeId, sessionId, items) {
      const selection: Selection = new Map(items.map((item) => [item.sku, item]));
      selections.set(key(tenantId, storeId, sessionId), selection);
      return selection;
    },
  };
}
