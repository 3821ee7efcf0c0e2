import { z } from "zod";
import type { CartItem, ProductItem, SessionSummary } from "../../schemas.js";
import type { ChecklistItem, MealPlan, QuickReply } from "../agent/agent.js";
import type { CartEventName } from "./selection.js";

const Text = z.string().min(1);

export const AuthFrame = z.object({
  type: z.literal("auth"),
  token: z.string(),
  store_id: z.string().min(1).optional(),
  user_id: z.string().min(1).max(256).optional(),
  conversation_id: z.string().min(1).optional(),
});
export type AuthFrame = z.infer<typeof AuthFrame>;

const ActionFrameShapes = z.discriminatedUnion("action", [
  z.object({ type: z.literal("action"), action: z.literal("add_to_cart"), sku: Text, quantity: z.number().positive().finite().optional(), conversation_id: Text.optional() }),
  z.object({ type: z.literal("action"), action: z.literal("quick_reply"), value: Text, conversation_id: Text.optional() }),
  z.object({ type: z.literal("action"), action: z.literal("checklist_submit"), skus: z.array(Text), conversation_id: Text.optional() }),
  z.object({ type: z.literal("action"), action: z.literal("meal_plan_approve"), conversation_id: Text.optional() }),
  z.object({ type: z.literal("action"), action: z.literal("meal_plan_modify"), text: Text, conversation_id: Text.optional() }),
]);

/**
 * A tap in the widget. The mobile page says only "send action message with sku and quantity",
 * so an `action` frame with a `sku` and no `action` field is an `add_to_cart`.
 */
export const ActionFrame = z.preprocess(
  (frame) =>
    typeof frame === "object" && frame !== null && !("action" in frame) && "sku" in frame ? { ...frame, action: "add_to_cart" } : frame,
  ActionFrameShapes,
);
export type ActionFrame = z.infer<typeof ActionFrame>;

export const MessageFrame = z.object({ type: z.literal("message"), text: Text, conversation_id: Text.optional() });
export type MessageFrame = z.infer<typeof MessageFrame>;

/** Every error code the chat sends, from the protocol page. */
export type ChatErrorCode =
  | "message_too_large"
  | "rate_limit_exceeded"
  | "user_message_limit"
  | "user_conversation_limit"
  | "agent_busy"
  | "internal_error"
  | "invalid_json"
  | "no_catalog_data"
  | "session_token_limit"
  | "max_rounds_exceeded"
  | "tenant_daily_token_limit"
  | "tenant_monthly_token_limit";

export type ServerFrame =
  | { type: "auth_ok" }
  | { type: "conversation_started"; conversation_id: string }
  | { type: "session_restored"; conversation_id: string; selected_items: CartItem[]; total: number; pending_tools: PendingTool[] }
  | { type: "status"; code: "searching" | "checking_prices" | "updating_cart" }
  | { type: "text_delta"; delta: string }
  | { type: "text_end" }
  | { type: "product_cards"; items: ProductItem[] }
  | { type: "quick_replies"; options: QuickReply[] }
  | { type: "ingredient_checklist"; title: string; items: ChecklistItem[] }
  | ({ type: "meal_plan" } & MealPlan)
  | { type: "event"; event: CartEventName; sku?: string; name?: string; quantity?: number; price?: number }
  | ({ type: "cart_changed"; action: CartEventName; sku?: string; name?: string; quantity?: number; price?: number } & {
      items: CartItem[];
      total: number;
    })
  | { type: "error"; code: ChatErrorCode; message: string; retry_after?: number; limit?: number; max_size?: number }
  | { type: "response_complete"; conversation_id: string; session_summary: SessionSummary }
  | { type: "ping" }
  | { type: "pong" };

/** The interactive frames that wait for the shopper; `session_restored` carries those still open. */
export type PendingTool = Extract<ServerFrame, { type: "quick_replies" | "ingredient_checklist" | "meal_plan" }>;

/** Text cut into chunks of a few words, so one answer arrives as several `text_delta` frames. */
export function chunkText(text: string, wordsPerChunk = 3): string[] {
  const words = text.split(/(?<=\s)/);
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += wordsPerChunk) chunks.push(words.slice(index, index + wordsPerChunk).join(""));
  return chunks;
}
