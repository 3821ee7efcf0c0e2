import { randomUUID } from "node:crypto";
import type { ConversationPrices } from "../agent/tools.js";
import type { PendingTool } from "./chat-frames.js";

export interface Conversation {
  id: string;
  tenantId: string;
  storeId: string;
  /** The shopper's id, sent to the cart webhooks as `session_id`. */
  sessionId: string;
  memory: Record<string, unknown>;
  lastActivity: number;
  busy: boolean;
  /** Estimated tokens used so far (characters / 4, in and out). */
  tokens: number;
  /** Prices this conversation received from the products webhook; shared with no other. */
  prices: ConversationPrices;
  /** Interactive frames still waiting for the shopper, oldest first, as first sent. */
  pending: PendingTool[];
  /** Settles when the store's cart (cart GET) has been loaded for this new conversation. */
  ready: Promise<void>;
  /** Counted against the shopper's daily conversations (at its first message). */
  counted: boolean;
}

export interface ConversationStore {
  create(tenantId: string, storeId: string, sessionId: string): Conversation;
  /** The conversation, unless it is unknown or idle for longer than `ttlMs`. */
  get(id: string, ttlMs: number): Conversation | undefined;
  touch(conversation: Conversation): void;
}

export function createConversationStore(now: () => number, generateId: () => string = randomUUID): ConversationStore {
  const conversations = new Map<string, Conversation>();
  return {
    create(tenantId, storeId, sessionId) {
      const conversation: Conversation = {
        id: generateId(),
        tenantId,
        storeId,
        sessionId,
        memory: {},
        lastActivity: now(),
        busy: false,
        tokens: 0,
        prices: new Map(),
        pending: [],
        ready: Promise.resolve(),
        counted: false,
      };
      conversations.set(conversation.id, conversation);
      return conversation;
    },
    get(id, ttlMs) {
      const conversation = conversations.get(id);
      if (conversation === undefined) return undefined;
      if (now() - conversation.lastActivity > ttlMs && !conversation.busy) {
        conversations.delete(id);
        return undefined;
      }
      return conversation;
    },
    touch(conversation) {
      conversation.lastActivity = now();
    },
  };
}
