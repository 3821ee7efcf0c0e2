import { randomUUID } from "node:crypto";

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
