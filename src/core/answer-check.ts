import type * as z from "zod/mini";
import type { WebhookKind } from "../handlers.js";
import type { WebhookLogger } from "../logger.js";
import { CartGetResponse, CartResponse, ProductsResponse } from "../schemas.js";
import { isCanonicalCartGetResponse, isCanonicalCartResponse, isCanonicalProductsResponse } from "./canonical-shapes.js";
import { errorResponse, jsonResponse, type CoreResponse } from "./responses.js";

/** For each answer schema, the check that an answer is already what zod would output. */
const CANONICAL = new Map<z.ZodMiniType, (answer: unknown) => boolean>([
  [ProductsResponse, isCanonicalProductsResponse],
  [CartResponse, isCanonicalCartResponse],
  [CartGetResponse, isCanonicalCartGetResponse],
]);

/**
 * The JSON text of an answer that matches `schema`, or the zod error when it does not. An answer
 * already in the schema's exact output shape (the usual case) is serialized as it is; any other is
 * parsed by zod (which drops unknown keys, reads null promo fields as absent, and explains a
 * failure) and its output serialized: the text is the same either way.
 */
export function serializeAnswer(schema: z.ZodMiniType, answer: unknown): { ok: true; text: string } | { ok: false; error: z.core.$ZodError } {
  if (CANONICAL.get(schema)?.(answer) === true) return { ok: true, text: JSON.stringify(answer) };
  const checked = schema.safeParse(answer);
  return checked.success ? { ok: true, text: JSON.stringify(checked.data) } : { ok: false, error: checked.error };
}

/**
 * Answer check: what a handler returned must match the contract before it is sent. A broken
 * answer is the merchant's bug, so it is logged with the issues and answered 500.
 */
export function checkAnswer(
  schema: z.ZodMiniType,
  answer: unknown,
  where: { requestId: string; kind: WebhookKind },
  logger: WebhookLogger,
): CoreResponse {
  const serialized = serializeAnswer(schema, answer);
  if (serialized.ok) return jsonResponse(serialized.text);
  logger.error(
    { requestId: where.requestId, kind: where.kind, issues: serialized.error.issues },
    "handler returned an answer that breaks the VIZOCHOK contract; fix the handler",
  );
  return errorResponse("invalid_handler_answer", "the handler's answer does not match the contract");
}
