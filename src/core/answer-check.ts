import type * as z from "zod/mini";
import type { WebhookKind } from "../handlers.js";
import type { WebhookLogger } from "../logger.js";
import { errorResponse, jsonResponse, type CoreResponse } from "./responses.js";

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
  const checked = schema.safeParse(answer);
  if (checked.success) return jsonResponse(JSON.stringify(checked.data));
  logger.error(
    { requestId: where.requestId, kind: where.kind, issues: checked.error.issues },
    "handler returned an answer that breaks the VIZOCHOK contract; fix the handler",
  );
  return errorResponse("invalid_handler_answer", "the handler's answer does not match the contract");
}
