import { CART_ACTIONS, CartRequest, type StandardCartReason } from "./schemas.js";

export type ParsedCartRequest =
  | { ok: true; request: CartRequest }
  | { ok: false; reason: Extract<StandardCartReason, "missing_sku" | "missing_params"> };

/**
 * A signed but malformed cart request is answered with a documented reason, never an HTTP error:
 * a 5xx would make VIZOCHOK retry something that can never succeed.
 */
export function parseCartRequest(body: unknown): ParsedCartRequest {
  const parsed = CartRequest.safeParse(body);
  if (parsed.success) return { ok: true, request: parsed.data };
  const action = (body as { action?: unknown } | null)?.action;
  const needsSku = typeof action === "string" && action !== "clear" && (CART_ACTIONS as readonly string[]).includes(action);
  // A SKU that is there but ill-formed is a malformed request, not a missing SKU.
  const skuIssue = parsed.error.issues.some((issue) => issue.path[0] === "sku" && issue.code !== "custom");
  return { ok: false, reason: needsSku && skuIssue ? "missing_sku" : "missing_params" };
}
