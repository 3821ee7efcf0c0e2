import type { Product, ProductItem, SessionSummary } from "../../schemas.js";
import type { CartOutcome, PriceCheck, ProductSearch } from "./tools.js";

/** What the shopper did: typed a message or tapped something in the widget. */
export type AgentInput =
  | { type: "message"; text: string }
  | { type: "add_to_cart"; sku: string; quantity?: number }
  | { type: "quick_reply"; value: string }
  | { type: "checklist_submit"; skus: string[] }
  | { type: "meal_plan_approve" }
  | { type: "meal_plan_modify"; text: string };

export interface QuickReply {
  label: string;
  value: string;
}

export interface ChecklistItem {
  name: string;
  sku?: string;
  quantity?: number;
  /** The product's unit ("kg", "pcs"), so 0.5 reads as "0.5 kg". */
  unit?: string;
  checked: boolean;
}

export interface MealPlanItem {
  name: string;
  sku?: string;
  quantity?: number;
}

/** A multi-day plan the shopper approves (every item with a SKU goes to the cart) or modifies in words. */
export interface MealPlan {
  title: string;
  days: Array<{ day: number; meals: Array<{ name: string; recipe?: string; items: MealPlanItem[] }> }>;
  actions: ["approve", "modify"];
}

/** How the agent answers; each call becomes frames on the wire, in call order. */
export interface AgentReply {
  /** Streams text as several `text_delta` frames and a `text_end`. */
  say(text: string): void;
  productCards(items: ProductItem[]): void;
  quickReplies(options: QuickReply[]): void;
  checklist(title: string, items: ChecklistItem[]): void;
  mealPlan(plan: MealPlan): void;
  /** Sends `event` and `cart_changed` (with the whole cart) for a confirmed change. */
  cartChanged(outcome: Extract<CartOutcome, { ok: true }>): void;
}

/** The tools bound to this conversation's store and shopper. */
export interface ConversationTools {
  /** The search index alone (no webhook): SKUs, best first. */
  rank(query: string, limit?: number): string[];
  search(query: string, limit?: number): Promise<ProductSearch>;
  /** Live prices from the products webhook; kept in this conversation for the cards it shows. */
  checkProducts(skus: string[]): Promise<PriceCheck>;
  /**
   * Adds through the cart webhook at the price this conversation was shown. With `fresh`, the
   * price is asked of the products webhook first unless this turn already did; a product the
   * webhook does not return is refused (`product_not_found`) and never sent at an old price.
   */
  add(sku: string, quantity?: number, options?: { fresh?: boolean }): Promise<CartOutcome>;
  remove(sku: string): Promise<CartOutcome>;
  setQuantity(sku: string, quantity: number): Promise<CartOutcome>;
  clear(): Promise<CartOutcome>;
  cart(): SessionSummary;
  product(sku: string): Product | undefined;
  productsInCategory(category: string): Product[];
}

export interface AgentConversation {
  id: string;
  storeId: string;
  sessionId: string;
  /** Free-form state the agent keeps between turns (last cards shown, an open checklist). */
  memory: Record<string, unknown>;
}

export interface AgentTurn {
  input: AgentInput;
  conversation: AgentConversation;
  tools: ConversationTools;
  reply: AgentReply;
  /** Aborted when the turn runs out of time; output after that is dropped. */
  signal: AbortSignal;
}

/**
 * The brain behind the chat. The stub ships a deterministic scripted agent; an LLM-backed one
 * can implement the same interface.
 */
export interface Agent {
  respond(turn: AgentTurn): Promise<void>;
}

/** Builds one agent per tenant. */
export type AgentFactory = (tenant: { id: string; name: string }) => Agent;
