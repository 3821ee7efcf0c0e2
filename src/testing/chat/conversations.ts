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
  /** A new conversation, idle for at most `ttlMs` before it is gone (the tenant's session TTL). */
  create(tenantId: string, storeId: string, sessionId: string, ttlMs: number): Conversation;
  /** The conversation, unless it is unknown or idle for longer than `ttlMs`. */
  get(id: string, ttlMs: number): Conversation | undefined;
  touch(conversation: Conversation): void;
  /** How many conversations are kept, expired ones not yet dropped included. */
  readonly size: number;
}

/** At most this many expired conversations are dropped per new one, so no connect pays for many. */
const SWEEP_LIMIT = 8;

/**
 * Conversations by id, least recently active first: `touch` moves one to the end, so each new
 * conversation first drops the expired ones at the front (a few at a time). A stub left running
 * keeps only the conversations of the last session TTL, not every one it ever started.
 */
export function createConversationStore(now: () => number, generateId: () => string = randomUUID): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const ttls = new WeakMap<Conversation, number>();
  const expired = (conversation: Conversation, ttlMs: number, at: number) => at - conversation.lastActivity > ttlMs && !conversation.busy;

  function dropExpired(at: number): void {
    let dropped = 0;
    for (const [id, conversation] of conversations) {
      // The oldest activity comes first; a busy one is mid-turn and is passed over.
      if (conversation.busy) continue;
      if (dropped === SWEEP_LIMIT || !expired(conversation, ttls.get(conversation)!, at)) return;
      conversations.delete(id);
      dropped++;
    }
  }

  return {
    create(tenantId, storeId, sessionId, ttlMs) {
      dropExpired(now());
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
      ttls.set(conversation, ttlMs);
      conversations.set(conversation.id, conversation);
      return conversation;
    },
    get(id, ttlMs) {
      const conversation = conversations.get(id);
      if (conversation === undefined) return undefined;
      if (expired(conversation, ttlMs, now())) {
        conversations.delete(id);
        return undefined;
      }
      return conversation;
    },
    touch(conversation) {
      conversation.lastActivity = now();
      // To the end of the order, unless it was dropped meanwhile.
      if (conversations.delete(conversation.id)) conversations.set(conversation.id, conversation);
    },
    get size() {
      return conversations.size;
    },
  };
}
