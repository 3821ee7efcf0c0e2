import * as z from "zod/mini";
import {
  CartGetQuery,
  CartGetResponse,
  CartRequest,
  CartResponse,
  ProductInput,
  ProductsRequest,
  ProductsResponse,
} from "../schemas.js";

/**
 * Every body on the wire, as JSON Schema (draft 2020-12), generated from the zod schemas the kit
 * validates with, for merchants who write their backend in another language.
 */
export const JSON_SCHEMA_SOURCES = {
  "products-request": { schema: ProductsRequest, title: "ProductsRequest", description: "POST {products_url}: the body VIZOCHOK sends" },
  "products-response": { schema: ProductsResponse, title: "ProductsResponse", description: "POST {products_url}: the answer the merchant sends" },
  "cart-request": { schema: CartRequest, title: "CartRequest", description: "POST {cart_url}: the body VIZOCHOK sends, one of four actions" },
  "cart-response": { schema: CartResponse, title: "CartResponse", description: "POST {cart_url}: the answer the merchant sends (a business rejection is ok: false with a reason)" },
  "cart-get-query": { schema: CartGetQuery, title: "CartGetQuery", description: "GET {cart_get_url}: the query parameters VIZOCHOK sends" },
  "cart-get-response": { schema: CartGetResponse, title: "CartGetResponse", description: "GET {cart_get_url}: the answer the merchant sends" },
  "product-input": { schema: ProductInput, title: "ProductInput", description: "One catalog product as uploaded to VIZOCHOK" },
} as const;

export type JsonSchemaName = keyof typeof JSON_SCHEMA_SOURCES;
export const JSON_SCHEMA_NAMES = Object.keys(JSON_SCHEMA_SOURCES) as JsonSchemaName[];

/**
 * The JSON Schema of one request or answer. Schemas describe what is accepted on the wire (zod's
 * input side), so fields with a default are optional and `null` promo fields are allowed.
 *
 * @example
 * const schema = jsonSchemaFor("cart-request");
 */
export function jsonSchemaFor(name: JsonSchemaName): Record<string, unknown> {
  const source = JSON_SCHEMA_SOURCES[name];
  if (source === undefined) throw new TypeError(`no JSON Schema named "${String(name)}"; known: ${JSON_SCHEMA_NAMES.join(", ")}`);
  const generated = z.toJSONSchema(source.schema, { io: "input", unrepresentable: "throw" }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: `vizochok-merchant-kit/schemas/${name}.json`, title: source.title, description: source.description, ...rest };
}
