import type { WebhookKind } from "../handlers.js";
import { readHeader, type HeaderSource } from "../signature.js";
import { errorResponse, payloadTooLarge, type CoreResponse } from "./responses.js";

export interface WebhookPaths {
  products: string;
  cart: string;
  cartGet: string;
}

export const DEFAULT_PATHS: WebhookPaths = {
  products: "/check-products",
  cart: "/cart",
  cartGet: "/cart/items",
};

export type RouteMatch =
  | { type: "unmatched" }
  | { type: "rejected"; response: CoreResponse }
  | { type: "matched"; kind: WebhookKind; readBody: boolean };

type Methods = Partial<Record<"GET" | "POST", WebhookKind>>;

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Routing: which webhook a request is for, and everything decidable before its body is read
 * (method, content type, declared length), so a wrong request never costs a read.
 */
export function createRouter(paths: WebhookPaths, bodyLimit: number): (method: string, path: string, headers: HeaderSource) => RouteMatch {
  const routes = new Map<string, Methods>();
  const addRoute = (path: string, method: "GET" | "POST", kind: WebhookKind) =>
    routes.set(path, { ...routes.get(path), [method]: kind });
  addRoute(paths.products, "POST", "products");
  addRoute(paths.cart, "POST", "cart");
  addRoute(paths.cartGet, "GET", "cart_get");

  return function match(method, path, headers) {
    // One trailing slash is allowed ("/" less its slash is "", which no path is: each starts with "/").
    const route = routes.get(path) ?? (path.endsWith("/") ? routes.get(path.slice(0, -1)) : undefined);
    if (route === undefined) return UNMATCHED;
    const kind = route[method.toUpperCase() as "GET" | "POST"];
    if (kind === undefined) {
      const allow = Object.keys(route).join(", ");
      return { type: "rejected", response: errorResponse("method_not_allowed", `use ${allow} for ${path}`, { allow }) };
    }
    if (kind === "cart_get") return MATCHED[kind];
    const contentType = readHeader(headers, "content-type");
    // Stryker disable next-line ConditionalExpression: equivalent when forced false, the pattern refuses "undefined" and "null" as it refuses a missing or repeated header
    if (contentType == null || !JSON_CONTENT_TYPE.test(contentType)) {
      return { type: "rejected", response: errorResponse("unsupported_media_type", "Content-Type must be application/json") };
    }
    // A missing (undefined) or repeated (null) length reads as NaN or 0, never over the limit.
    if (Number(readHeader(headers, "content-length")) > bodyLimit) {
      return { type: "rejected", response: payloadTooLarge(bodyLimit) };
    }
    return MATCHED[kind];
  };
}

// The answers that carry nothing of the request are made once: routing allocates nothing for them.
const UNMATCHED: RouteMatch = Object.freeze({ type: "unmatched" });
const MATCHED: Readonly<Record<WebhookKind, RouteMatch>> = {
  products: Object.freeze({ type: "matched", kind: "products", readBody: true }),
  cart: Object.freeze({ type: "matched", kind: "cart", readBody: true }),
  cart_get: Object.freeze({ type: "matched", kind: "cart_get", readBody: false }),
};
