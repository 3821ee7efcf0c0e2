import type { ProductOffer } from "vizochok-merchant-kit";
import { fromMilli, roundMoney } from "./quantity.js";

/** A product's row as every backend reads it for the products webhook. */
export interface OfferAnswerRow {
  sku: string;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  is_active: boolean | 0 | 1;
  min_quantity_milli: number;
  price: number;
  promo_price: number | null;
  promo_label: string | null;
  available_milli: number;
}

/** A cart line's row as every backend reads it. */
export interface CartLineRow {
  sku: string;
  name: string;
  regular_price: number;
  promo_price: number | null;
  brand: string | null;
  quantity_milli: number;
  unit: string;
}

/** A cart line as the shopper sees it: `price` is what one unit costs now (the promo price during a promo). */
export interface StoreCartItem {
  sku: string;
  name: string;
  price: number;
  regular_price: number;
  promo_price: number | null;
  brand: string | null;
  quantity: number;
  unit: string;
}

export interface StoreCart {
  items: StoreCartItem[];
  total: number;
}

export const effectivePrice = (offer: { price: number; promo_price: number | null }) => offer.promo_price ?? offer.price;

/** `in_stock`: active, and at least the minimum quantity left after reservations. */
export function toProductOffer(offer: OfferAnswerRow): ProductOffer {
  const answer: ProductOffer = {
    sku: offer.sku,
    price: offer.price,
    in_stock: Boolean(offer.is_active) && offer.available_milli >= offer.min_quantity_milli,
  };
  // Set rather than spread in (10 rows: 0.22 → 0.09 µs of CPU); the keys keep their order.
  if (offer.promo_price !== null) {
    answer.promo_price = offer.promo_price;
    if (offer.promo_label !== null) answer.promo_label = offer.promo_label;
  }
  return answer;
}

/** The cart with each line at today's effective price, totalled to the kopiyka. */
export function toStoreCart(rows: CartLineRow[]): StoreCart {
  const items = rows.map(
    ({ quantity_milli, ...row }): StoreCartItem => ({
      sku: row.sku,
      name: row.name,
      price: effectivePrice({ price: row.regular_price, promo_price: row.promo_price }),
      regular_price: row.regular_price,
      promo_price: row.promo_price,
      brand: row.brand,
      quantity: fromMilli(quantity_milli),
      unit: row.unit,
    }),
  );
  const total = roundMoney(items.reduce((sum, item) => sum + item.price * item.quantity, 0));
  return { items, total };
}
