import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { Agent, AgentInput, AgentReply, AgentTurn, ConversationTools } from "../agent/agent.js";
import { ActionFrame, AuthFrame, MessageFrame, chunkText, type ChatErrorCode, type PendingTool, type ServerFrame } from "./chat-frames.js";
import type { Conversation, ConversationStore } from "./conversations.js";
import type { Tenant, TenantRegistry } from "../platform/tenants.js";
import type { Timers } from "../timers.js";
import type { StubTools, ToolHooks } from "../agent/tools.js";
import { createUsageCounters, estimateTokens, takeFromWindow, utcDay, utcMonth } from "./usage-counters.js";

export const CHAT_PATH = "/api/v1/ws/chat";
// Frames above the protocol's 64 KB still arrive so the stub can answer `message_too_large`;
// only absurd ones are cut off by the WebSocket layer.
const HARD_FRAME_LIMIT = 1024 * 1024;

export interface ChatServerOptions {
  tenants: TenantRegistry;
  conversations: ConversationStore;
  toolsFor(tenant: Tenant, hooks: ToolHooks): StubTools;
  agentFor(tenant: Tenant): Agent;
  now: () => number;
  timers: Timers;
  authTimeoutMs: number;
  /** Client silence after which the server pings. */
  heartbeatIntervalMs: number;
  /** How long a server ping waits for `pong` before the connection is closed (1001). */
  pongTimeoutMs: number;
}

export interface ChatServer {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

class RoundsExceeded extends Error {}

/** Why a turn's signal aborts once the turn is over; a constant, so no DOMException is built per turn. */
const TURN_OVER = new Error("the turn is over");

interface Connection {
  ws: WebSocket;
  tenant?: Tenant;
  storeId?: string;
  userId?: string;
  conversation?: Conversation;
  window: number[];
  /** Fires after `heartbeatIntervalMs` of client silence. */
  silence?: unknown;
  /** Set while a server ping waits for its pong. */
  pongDeadline?: unknown;
}

/** The quick reply offered near the token budget; choosing it starts a new conversation. */
export const NEW_CONVERSATION_REPLY = { label: "Start a new conversation", value: "new_conversation" } as const;
/** From this share of `sessionTokens`, every answer suggests a new conversation. */
const BUDGET_WARNING_SHARE = 0.8;

export function createChatServer(options: ChatServerOptions): ChatServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT });
  const sockets = new WeakMap<WebSocket, Duplex>();
  const corked = new Set<Duplex>();
  const openPerKey = new Map<string, number>();
  const counters = createUsageCounters();

  wss.on("connection", (ws) => {
    const connection: Connection = { ws, window: [] };
    const authTimer = options.timers.setTimeout(() => ws.close(4001, "auth timeout"), options.authTimeoutMs);
    // An exception thrown from a socket's listener would end the process: each one is caught here.
    ws.on("message", (data, isBinary) => {
      try {
        if (connection.tenant === undefined) {
          options.timers.clearTimeout(authTimer);
          authenticate(connection, data, isBinary);
        } else {
          receive(connection, data, isBinary);
        }
      } catch {
        failConnection(ws);
      }
    });
    ws.on("close", () => {
      options.timers.clearTimeout(authTimer);
      options.timers.clearTimeout(connection.silence);
      options.timers.clearTimeout(connection.pongDeadline);
      const key = connection.tenant?.publicKeyHash;
      if (key !== undefined) openPerKey.set(key, (openPerKey.get(key) ?? 1) - 1);
    });
    ws.on("error", () => ws.terminate());
  });

  // The frames of one synchronous burst (text deltas, cards, cart, completion) leave in one
  // write — one syscall and TCP segment instead of one per frame. Order and content are unchanged.
  function send(ws: WebSocket, frame: ServerFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const socket = sockets.get(ws);
    if (socket !== undefined && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      process.nextTick(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    ws.send(JSON.stringify(frame));
  }

  function sendError(ws: WebSocket, code: ChatErrorCode, message: string, extra: { retry_after?: number; limit?: number; max_size?: number } = {}): void {
    send(ws, { type: "error", code, message, ...extra });
  }

  function authenticate(connection: Connection, data: RawData, isBinary: boolean): void {
    const { ws } = connection;
    const parsed = isBinary ? undefined : AuthFrame.safeParse(parseJson(data));
    if (parsed === undefined || !parsed.success) return ws.close(4004, "first frame must be auth");
    const auth = parsed.data;
    const tenant = auth.token.startsWith("pk_") ? options.tenants.byPublicKey(auth.token) : undefined;
    if (tenant === undefined) return ws.close(4002, "invalid key");
    const storeId = auth.store_id ?? tenant.stores[0]!;
    if (!tenant.stores.includes(storeId)) return ws.close(4003, "key not allowed for this store");
    const open = openPerKey.get(tenant.publicKeyHash) ?? 0;
    if (open >= tenant.limits.connectionsPerKey) return ws.close(4029, "too many connections");
    openPerKey.set(tenant.publicKeyHash, open + 1);
    connection.tenant = tenant;
    connection.storeId = storeId;
    send(ws, { type: "auth_ok" });

    const resumed = auth.conversation_id === undefined ? undefined : options.conversations.get(auth.conversation_id, tenant.limits.sessionTtlMs);
    const matches = resumed !== undefined && resumed.tenantId === tenant.id && resumed.storeId === storeId && (auth.user_id === undefined || auth.user_id === resumed.sessionId);
    connection.userId = matches ? resumed.sessionId : (auth.user_id ?? `anon_${randomUUID()}`);
    if (matches) {
      connection.conversation = resumed;
      options.conversations.touch(resumed);
      const summary = options.toolsFor(tenant, {}).getSelection({ storeId, sessionId: resumed.sessionId });
      send(ws, {
        type: "session_restored",
        conversation_id: resumed.id,
        selected_items: summary.selected_items,
        total: summary.total,
        pending_tools: [...resumed.pending],
      });
    } else {
      // No id, or one that is unknown, expired or someone else's: a new conversation at once.
      startConversation(connection);
    }
    listen(connection);
  }

  /** Creates a conversation, announces it and loads the store's cart for it (cart GET). */
  function startConversation(connection: Connection): Conversation {
    const tenant = connection.tenant!;
    const storeId = connection.storeId!;
    const sessionId = connection.userId!;
    const conversation = options.conversations.create(tenant.id, storeId, sessionId, tenant.limits.sessionTtlMs);
    connection.conversation = conversation;
    send(connection.ws, { type: "conversation_started", conversation_id: conversation.id });
    conversation.ready = options
      .toolsFor(tenant, {})
      .loadSelection({ storeId, sessionId })
      .then(
        () => undefined,
        () => undefined,
      );
    return conversation;
  }

  /** Heartbeat: after a silence the server pings; a ping left without `pong` closes the connection. */
  function listen(connection: Connection): void {
    options.timers.clearTimeout(connection.silence);
    connection.silence = options.timers.setTimeout(() => {
      connection.silence = undefined;
      send(connection.ws, { type: "ping" });
      connection.pongDeadline = options.timers.setTimeout(() => connection.ws.close(1001, "pong timeout"), options.pongTimeoutMs);
    }, options.heartbeatIntervalMs);
  }

  function heard(connection: Connection, type: unknown): void {
    if (type === "pong" && connection.pongDeadline !== undefined) {
      options.timers.clearTimeout(connection.pongDeadline);
      connection.pongDeadline = undefined;
    }
    if (connection.pongDeadline === undefined) listen(connection);
  }

  function receive(connection: Connection, data: RawData, isBinary: boolean): void {
    const { ws } = connection;
    const tenant = connection.tenant!;
    const size = rawLength(data);
    if (size > tenant.limits.maxFrameBytes) {
      heard(connection, undefined);
      return sendError(ws, "message_too_large", `frames are limited to ${tenant.limits.maxFrameBytes} bytes`, { max_size: tenant.limits.maxFrameBytes });
    }
    const json = isBinary ? undefined : parseJson(data);
    const type = typeof json === "object" && json !== null ? (json as { type?: unknown }).type : undefined;
    heard(connection, type);
    if (type === "ping") return send(ws, { type: "pong" });
    if (type === "pong") return;
    let input: AgentInput;
    let conversationId: string | undefined;
    if (type === "message") {
      const message = MessageFrame.safeParse(json);
      if (!message.success) return sendError(ws, "invalid_json", "a message needs a non-empty text");
      input = { type: "message", text: message.data.text };
      conversationId = message.data.conversation_id;
      // The docs: "Omit conversation_id to start a new conversation."
      if (conversationId === undefined) return void startTurn(connection, input, undefined, true).catch(() => failTurn(ws));
    } else if (type === "action") {
      const action = ActionFrame.safeParse(json);
      if (!action.success) return sendError(ws, "invalid_json", "unknown action or missing fields");
      input = toInput(action.data);
      conversationId = action.data.conversation_id;
    } else {
      return sendError(ws, "invalid_json", json === undefined ? "frames must be JSON objects" : "unknown frame type");
    }
    startTurn(connection, input, conversationId, isStartOver(input)).catch(() => failTurn(ws));
  }

  /** The stub's own failure on one connection: the client is told, the server goes on. */
  function failConnection(ws: WebSocket): void {
    if (ws.readyState === WebSocket.OPEN) ws.close(1011, "internal error");
  }

  function failTurn(ws: WebSocket): void {
    try {
      sendError(ws, "internal_error", "the message could not be handled");
    } catch {
      ws.terminate();
    }
  }

  async function startTurn(connection: Connection, input: AgentInput, conversationId: string | undefined, newConversation: boolean): Promise<void> {
    const { ws } = connection;
    const tenant = connection.tenant!;
    const storeId = connection.storeId!;
    const userId = connection.userId!;
    const limits = tenant.limits;
    const now = options.now();
    const retryAfter = takeFromWindow(connection.window, now, limits.messagesPerWindow, limits.messageWindowMs);
    if (retryAfter > 0) {
      return sendError(ws, "rate_limit_exceeded", `at most ${limits.messagesPerWindow} messages per ${limits.messageWindowMs / 1000} s`, { retry_after: retryAfter });
    }
    if (!hasActiveProduct(tenant)) {
      return sendError(ws, "no_catalog_data", "this store has no catalog yet");
    }
    let conversation: Conversation | undefined;
    if (newConversation) {
      conversation = undefined;
    } else if (conversationId !== undefined && conversationId !== connection.conversation?.id) {
      // Only this shopper's own conversation in this store; any other id starts a new one.
      const found = options.conversations.get(conversationId, limits.sessionTtlMs);
      conversation = found?.tenantId === tenant.id && found.storeId === storeId && found.sessionId === userId ? found : undefined;
    } else if (connection.conversation !== undefined) {
      conversation = options.conversations.get(connection.conversation.id, limits.sessionTtlMs);
    }
    const day = `${tenant.id}\u0000${userId}\u0000${utcDay(now)}`;
    if (conversation?.counted !== true && counters.get(`conversations\u0000${day}`) >= limits.userConversationsPerDay) {
      return sendError(ws, "user_conversation_limit", "daily conversation limit reached", { limit: limits.userConversationsPerDay });
    }
    if (counters.get(`messages\u0000${day}`) >= limits.userMessagesPerDay) {
      return sendError(ws, "user_message_limit", "daily message limit reached", { limit: limits.userMessagesPerDay });
    }
    if (conversation?.busy) return sendError(ws, "agent_busy", "the assistant is still answering the previous message");
    if (conversation !== undefined && conversation.tokens >= limits.sessionTokens) {
      return sendError(ws, "session_token_limit", "this conversation is too long; start a new one");
    }
    const dailyKey = `tokens\u0000${tenant.id}\u0000${utcDay(now)}`;
    const monthlyKey = `tokens\u0000${tenant.id}\u0000${utcMonth(now)}`;
    if (counters.get(dailyKey) >= limits.tenantDailyTokens) return sendError(ws, "tenant_daily_token_limit", "the store's daily budget is used up");
    if (counters.get(monthlyKey) >= limits.tenantMonthlyTokens) return sendError(ws, "tenant_monthly_token_limit", "the store's monthly budget is used up");

    counters.add(`messages\u0000${day}`, 1);
    // A conversation counts against the daily limit from its first turn, not when it is announced.
    conversation ??= startConversation(connection);
    if (!conversation.counted) {
      conversation.counted = true;
      counters.add(`conversations\u0000${day}`, 1);
    }
    connection.conversation = conversation;
    conversation.busy = true;
    options.conversations.touch(conversation);
    // A message or an answer closes every open interactive frame; a tap on a card does not.
    if (input.type !== "add_to_cart") conversation.pending = [];
    const active = conversation;
    let spent = estimateTokens(inputText(input));
    try {
      // The store's existing cart is loaded before the conversation's first answer.
      await active.ready;
      spent += await runAgent(connection, active);
    } finally {
      active.busy = false;
      active.tokens += spent;
      counters.add(dailyKey, spent);
      counters.add(monthlyKey, spent);
      options.conversations.touch(active);
    }

    async function runAgent(connection: Connection, conversation: Conversation): Promise<number> {
      // The signal is built only when the agent asks for it: most turns never do, and an
      // AbortController per turn is a noticeable share of a busy stub's time.
      let controller: AbortController | undefined;
      let timer: unknown;
      let over = false;
      const endTurn = () => {
        over = true;
        options.timers.clearTimeout(timer);
        controller?.abort(TURN_OVER);
      };
      let output = 0;
      const out = (frame: ServerFrame) => {
        if (!over) send(connection.ws, frame);
      };
      const pend = (frame: PendingTool) => {
        if (over) return;
        conversation.pending.push(frame);
        send(connection.ws, frame);
      };
      let rounds = 0;
      const stubTools = options.toolsFor(tenant, {
        status: (code) => out({ type: "status", code }),
        round: () => {
          if (++rounds > limits.maxRounds) throw new RoundsExceeded();
        },
      });
      const target = { storeId, sessionId: conversation.sessionId };
      const prices = conversation.prices;
      // SKUs whose price this turn asked the products webhook for.
      const checked = new Set<string>();
      const tools: ConversationTools = {
        rank: (query, limit) => stubTools.rankCatalog(query, limit).map((hit) => hit.sku),
        async search(query, limit) {
          const result = await stubTools.searchProducts({ storeId, query, prices, ...(limit !== undefined ? { limit } : {}) });
          for (const sku of result.found) checked.add(sku);
          return result;
        },
        async checkProducts(skus) {
          const result = await stubTools.checkProducts({ storeId, skus, prices });
          for (const sku of skus) checked.add(sku);
          return result;
        },
        add(sku, quantity, addOptions) {
          // A fresh add never uses a price from an earlier turn: the webhook is asked again.
          if (addOptions?.fresh === true && !checked.has(sku)) prices.delete(sku);
          return stubTools.addToSelection({ ...target, sku, prices, ...(quantity !== undefined ? { quantity } : {}) });
        },
        remove: (sku) => stubTools.removeFromSelection({ ...target, sku }),
        setQuantity: (sku, quantity) => stubTools.updateSelectionQuantity({ ...target, sku, quantity, prices }),
        clear: () => stubTools.clearSelection(target),
        cart: () => stubTools.getSelection(target),
        product: (sku) => stubTools.getProduct(sku),
        productsInCategory: (category) => stubTools.productsInCategory(category),
      };
      const reply: AgentReply = {
        say(text) {
          output += text.length;
          for (const delta of chunkText(text)) out({ type: "text_delta", delta });
          out({ type: "text_end" });
        },
        productCards: (items) => out({ type: "product_cards", items }),
        quickReplies: (choices) => pend({ type: "quick_replies", options: choices }),
        checklist: (title, items) => pend({ type: "ingredient_checklist", title, items }),
        mealPlan: (plan) => pend({ type: "meal_plan", ...plan }),
        cartChanged(outcome) {
          const { action, ...fields } = outcome.change;
          out({ type: "event", event: action, ...fields });
          out({ type: "cart_changed", action, ...fields, items: outcome.summary.selected_items, total: outcome.summary.total });
        },
      };
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = options.timers.setTimeout(() => resolve("timeout"), limits.agentTimeoutMs);
      });
      const agent: Agent = isStartOver(input) ? { respond: async ({ reply }) => reply.say("A new conversation has started. What can I find for you?") } : options.agentFor(tenant);
      const turn: AgentTurn = {
        input,
        conversation: { id: conversation.id, storeId, sessionId: conversation.sessionId, memory: conversation.memory },
        tools,
        reply,
        get signal() {
          if (controller === undefined) {
            controller = new AbortController();
            if (over) controller.abort(TURN_OVER);
          }
          return controller.signal;
        },
      };
      const run = agent.respond(turn);
      try {
        const result = await Promise.race([run.then(() => "done" as const), timedOut]);
        if (result === "timeout") {
          endTurn();
          sendError(connection.ws, "internal_error", "the assistant took too long to answer");
          return Math.ceil(output / 4);
        }
        // Near the token budget every answer suggests starting over (the docs: "the assistant
        // suggests starting a new conversation").
        if (conversation.tokens + spent + Math.ceil(output / 4) >= BUDGET_WARNING_SHARE * limits.sessionTokens) {
          reply.say("This conversation is getting long: start a new one to keep my answers quick.");
          reply.quickReplies([{ ...NEW_CONVERSATION_REPLY }]);
        }
        const summary = tools.cart();
        out({ type: "response_complete", conversation_id: conversation.id, session_summary: summary });
      } catch (error) {
        const rounds = error instanceof RoundsExceeded;
        endTurn();
        sendError(connection.ws, rounds ? "max_rounds_exceeded" : "internal_error", rounds ? "the assistant needed too many steps" : "the assistant failed");
      } finally {
        endTurn();
      }
      return Math.ceil(output / 4);
    }
  }

  return {
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.set(ws, socket);
        wss.emit("connection", ws, request);
      });
    },
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

function hasActiveProduct(tenant: Tenant): boolean {
  for (const product of tenant.catalog.values()) if (product.is_active) return true;
  return false;
}

function isStartOver(input: AgentInput): boolean {
  return input.type === "quick_reply" && input.value === NEW_CONVERSATION_REPLY.value;
}

function toInput(frame: ActionFrame): AgentInput {
  switch (frame.action) {
    case "add_to_cart":
      return { type: "add_to_cart", sku: frame.sku, ...(frame.quantity !== undefined ? { quantity: frame.quantity } : {}) };
    case "quick_reply":
      return { type: "quick_reply", value: frame.value };
    case "checklist_submit":
      return { type: "checklist_submit", skus: frame.skus };
    case "meal_plan_approve":
      return { type: "meal_plan_approve" };
    case "meal_plan_modify":
      return { type: "meal_plan_modify", text: frame.text };
  }
}

function inputText(input: AgentInput): string {
  switch (input.type) {
    case "message":
      return input.text;
    case "quick_reply":
      return input.value;
    case "add_to_cart":
      return input.sku;
    case "checklist_submit":
      return input.skus.join(" ");
    case "meal_plan_approve":
      return "approve";
    case "meal_plan_modify":
      return input.text;
  }
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

function parseJson(data: RawData): unknown {
  try {
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
