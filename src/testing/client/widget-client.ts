import { WebSocket } from "ws";
import type { CartItem, ProductItem, SessionSummary } from "../../schemas.js";
import type { PendingTool, ServerFrame } from "../chat/chat-frames.js";
import { FINAL_CLOSE_CODES, MAX_RECONNECT_ATTEMPTS, reconnectDelay } from "./reconnect.js";
import { realTimers, type Timers } from "../timers.js";

export type CartChangedEvent = Extract<ServerFrame, { type: "cart_changed" }>;

/** Errors the SDK reports itself, plus any `code` the server sends in an `error` frame. */
export type WidgetErrorCode = "auth_error" | "auth_timeout" | "ws_error" | "message_too_large" | "queue_full" | "max_reconnect" | "connection_lost";

export interface WidgetError {
  code: WidgetErrorCode | (string & {});
  message: string;
  close_code?: number;
}

export class WidgetClientError extends Error {
  constructor(readonly code: WidgetError["code"], message: string) {
    super(message);
    this.name = "WidgetClientError";
  }
}

/** What `createWidgetClient` takes: the widget's own settings and callbacks. */
export interface WidgetClientConfig {
  /** The chat endpoint, e.g. `stub.wsUrl`. */
  url: string;
  /** The tenant's widget key, `pk_…`. */
  publicKey: string;
  /** The store the shopper is in; it must be one of the tenant's stores. */
  storeId: string;
  /** The shopper's id, sent to the webhooks as `session_id`. Default: one VIZOCHOK generates. */
  userId?: string;
  /** A saved conversation to resume. */
  conversationId?: string;
  /** A cart change the merchant confirmed (add, remove, quantity, clear), as the widget reports it. */
  onCartChanged?(event: CartChangedEvent): void;
  /** The shopper opened a product card. */
  onProductClick?(item: ProductItem): void;
  /** The shopper finished: the selected items and the total. */
  onSessionComplete?(summary: SessionSummary): void;
  /** An error frame from the server, or a connection that could not be kept. */
  onError?(error: WidgetError): void;
  /** Connected and authenticated (again, after a reconnect). */
  onConnect?(): void;
  /** The connection closed; the client reconnects unless it was closed on purpose. */
  onDisconnect?(): void;
  /** Every frame from the server, as it arrives. */
  onFrame?(frame: ServerFrame): void;
  /** `setTimeout` and friends; inject fake ones in tests. Default: the global timers. */
  timers?: Timers;
  /** Randomness for the reconnect jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Reconnects tried before giving up. Default 30. */
  maxReconnectAttempts?: number;
  /** Heartbeat: a ping this often. Default 30,000 ms. */
  pingIntervalMs?: number;
  /** Turns waiting behind the one in flight. Default 10. */
  maxQueue?: number;
  /** Largest frame the client sends or accepts. Default 65,536 bytes. */
  maxFrameBytes?: number;
}

export interface WidgetClient {
  /**
   * Resolves once authenticated and the conversation is known (`conversation_started` or
   * `session_restored`); rejects if the server refuses the key for good.
   */
  connect(): Promise<void>;
  /** Sends a message; resolves with every frame of the answer up to `response_complete` or an `error`. */
  send(text: string): Promise<ServerFrame[]>;
  /**
   * The shopper tapped Add on a product card (a card object, or the SKU of a card shown in this
   * conversation): calls `onProductClick` with the card, then sends the `add_to_cart` action.
   */
  tapAdd(card: ProductItem | string, quantity?: number): Promise<ServerFrame[]>;
  quickReply(value: string): Promise<ServerFrame[]>;
  submitChecklist(skus: string[]): Promise<ServerFrame[]>;
  approveMealPlan(): Promise<ServerFrame[]>;
  /** Asks for another plan in words ("no fish"). */
  modifyMealPlan(text: string): Promise<ServerFrame[]>;
  /** The shopper clicked a product card: calls `onProductClick`. */
  clickProduct(item: ProductItem): void;
  readonly conversationId: string | undefined;
  /**
   * Interactive frames (quick replies, checklist, meal plan) still waiting for the shopper: from
   * `session_restored` after a reconnect, then as they arrive; answering or sending clears them.
   */
  readonly pendingTools: PendingTool[];
  /** The last full cart the server sent. */
  readonly cart: CartItem[];
  readonly frames: ServerFrame[];
  readonly connected: boolean;
  close(): Promise<void>;
}

interface Turn {
  frame: Record<string, unknown>;
  frames: ServerFrame[];
  resolve(frames: ServerFrame[]): void;
  reject(error: Error): void;
}

/**
 * A headless chat widget for Node: the SDK's six callbacks, one turn at a time, conversation
 * resume and the documented reconnect back-off.
 *
 * @example
 * const client = createWidgetClient({ url: stub.wsUrl, publicKey: "pk_test_shop", storeId: "store-1", userId: "u1" });
 * await client.connect();
 * const frames = await client.send("show me milk");
 * await client.close();
 */
export function createWidgetClient(config: WidgetClientConfig): WidgetClient {
  const timers = config.timers ?? realTimers;
  const maxAttempts = config.maxReconnectAttempts ?? MAX_RECONNECT_ATTEMPTS;
  const maxQueue = config.maxQueue ?? 10;
  const maxFrameBytes = config.maxFrameBytes ?? 64 * 1024;
  let socket: WebSocket | undefined;
  let conversationId = config.conversationId;
  let cart: CartItem[] = [];
  let pendingTools: PendingTool[] = [];
  const frames: ServerFrame[] = [];
  const turns: Turn[] = [];
  let inFlight = false;
  let authenticated = false;
  /** The server has named this connection's conversation. */
  let ready = false;
  let stopped = false;
  let attempt = 0;
  let pingTimer: unknown;
  let reconnectTimer: unknown;
  let firstConnect: { resolve(): void; reject(error: Error): void; promise: Promise<void> } | undefined;

  const fail = (code: WidgetError["code"], message: string, closeCode?: number) => {
    config.onError?.({ code, message, ...(closeCode !== undefined ? { close_code: closeCode } : {}) });
    return new WidgetClientError(code, message);
  };

  function open(): void {
    const ws = new WebSocket(config.url);
    socket = ws;
    ws.on("open", () => {
      ws.send(
        JSON.stringify({
          type: "auth",
          token: config.publicKey,
          store_id: config.storeId,
          ...(config.userId !== undefined ? { user_id: config.userId } : {}),
          ...(conversationId !== undefined ? { conversation_id: conversationId } : {}),
        }),
      );
    });
    ws.on("message", (data) => receive(JSON.parse(String(data)) as ServerFrame));
    ws.on("error", () => {
      // `close` follows and decides what happens next.
    });
    ws.on("close", (code, reason) => closed(ws, code, reason.toString()));
  }

  function receive(frame: ServerFrame): void {
    frames.push(frame);
    config.onFrame?.(frame);
    switch (frame.type) {
      case "auth_ok":
        authenticated = true;
        attempt = 0;
        schedulePing();
        config.onConnect?.();
        return;
      case "ping":
        socket?.send(JSON.stringify({ type: "pong" }));
        return;
      case "conversation_started":
        conversationId = frame.conversation_id;
        pendingTools = [];
        sessionReady();
        break;
      case "session_restored":
        conversationId = frame.conversation_id;
        cart = frame.selected_items;
        pendingTools = [...frame.pending_tools];
        config.onSessionComplete?.({ selected_items: frame.selected_items, total: frame.total, item_count: frame.selected_items.length });
        sessionReady();
        break;
      case "quick_replies":
      case "ingredient_checklist":
      case "meal_plan":
        pendingTools.push(frame);
        break;
      case "cart_changed":
        cart = frame.items;
        config.onCartChanged?.(frame);
        break;
      case "response_complete":
        cart = frame.session_summary.selected_items;
        config.onSessionComplete?.(frame.session_summary);
        break;
      case "error":
        config.onError?.({ code: frame.code, message: frame.message });
        break;
      default:
        break;
    }
    const turn = inFlight ? turns[0] : undefined;
    if (turn === undefined || frame.type === "pong" || frame.type === "session_restored") return;
    turn.frames.push(frame);
    if (frame.type === "response_complete" || frame.type === "error") {
      turns.shift();
      inFlight = false;
      turn.resolve(turn.frames);
      flush();
    }
  }

  function sessionReady(): void {
    if (ready) return;
    ready = true;
    firstConnect?.resolve();
    flush();
  }

  function closed(ws: WebSocket, code: number, reason: string): void {
    if (socket !== ws) return;
    socket = undefined;
    ready = false;
    timers.clearTimeout(pingTimer);
    const wasAuthenticated = authenticated;
    authenticated = false;
    if (wasAuthenticated) config.onDisconnect?.();
    if (inFlight) {
      inFlight = false;
      turns.shift()?.reject(fail("connection_lost", "the connection closed before the answer was complete", code));
    }
    if (stopped) return;
    if (FINAL_CLOSE_CODES.has(code)) {
      stopped = true;
      const error = fail(code === 4001 ? "auth_timeout" : "auth_error", reason || `closed with ${code}`, code);
      firstConnect?.reject(error);
      for (const turn of turns.splice(0)) turn.reject(error);
      return;
    }
    if (attempt >= maxAttempts) {
      stopped = true;
      const error = fail("max_reconnect", `gave up after ${maxAttempts} attempts`, code);
      firstConnect?.reject(error);
      for (const turn of turns.splice(0)) turn.reject(error);
      return;
    }
    const delay = reconnectDelay(attempt, config.random);
    attempt++;
    reconnectTimer = timers.setTimeout(() => {
      if (!stopped) open();
    }, delay);
  }

  function schedulePing(): void {
    timers.clearTimeout(pingTimer);
    pingTimer = timers.setTimeout(() => {
      if (socket?.readyState === WebSocket.OPEN && authenticated) socket.send(JSON.stringify({ type: "ping" }));
      if (authenticated) schedulePing();
    }, config.pingIntervalMs ?? 30_000);
  }

  function flush(): void {
    const turn = turns[0];
    if (inFlight || turn === undefined || !ready || socket?.readyState !== WebSocket.OPEN) return;
    inFlight = true;
    // Answering a message, a reply, a checklist or a plan closes what was waiting; a card tap does not.
    if (turn.frame.action !== "add_to_cart") pendingTools = [];
    socket.send(withConversation(turn.frame));
  }

  /** The frame as sent: in the conversation the server named last (after a reconnect too). */
  function withConversation(frame: Record<string, unknown>): string {
    return JSON.stringify({ ...frame, ...(conversationId !== undefined ? { conversation_id: conversationId } : {}) });
  }

  function cardFor(sku: string): ProductItem | undefined {
    for (let index = frames.length - 1; index >= 0; index--) {
      const frame = frames[index]!;
      if (frame.type === "product_cards") {
        const card = frame.items.find((item) => item.sku === sku);
        if (card !== undefined) return card;
      }
    }
    return undefined;
  }

  function enqueue(frame: Record<string, unknown>): Promise<ServerFrame[]> {
    const text = withConversation(frame);
    if (Buffer.byteLength(text) > maxFrameBytes) return Promise.reject(fail("message_too_large", `frames are limited to ${maxFrameBytes} bytes`));
    if (stopped) return Promise.reject(fail("connection_lost", "the client is closed"));
    if (turns.length > maxQueue) return Promise.reject(fail("queue_full", `at most ${maxQueue} messages can wait`));
    return new Promise((resolve, reject) => {
      turns.push({ frame, frames: [], resolve, reject });
      flush();
    });
  }

  return {
    connect() {
      if (firstConnect === undefined) {
        let resolve!: () => void;
        let reject!: (error: Error) => void;
        const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
        firstConnect = { resolve, reject, promise };
        stopped = false;
        open();
      }
      return firstConnect.promise;
    },
    send: (text) => enqueue({ type: "message", text }),
    tapAdd(card, quantity) {
      const item = typeof card === "string" ? cardFor(card) : card;
      const sku = typeof card === "string" ? card : card.sku;
      // The docs: onProductClick fires when the shopper clicks Add, before the cart changes.
      if (item !== undefined) config.onProductClick?.({ ...item, ...(quantity !== undefined ? { quantity } : {}) });
      return enqueue({ type: "action", action: "add_to_cart", sku, ...(quantity !== undefined ? { quantity } : {}) });
    },
    quickReply: (value) => enqueue({ type: "action", action: "quick_reply", value }),
    submitChecklist: (skus) => enqueue({ type: "action", action: "checklist_submit", skus }),
    approveMealPlan: () => enqueue({ type: "action", action: "meal_plan_approve" }),
    modifyMealPlan: (text) => enqueue({ type: "action", action: "meal_plan_modify", text }),
    clickProduct: (item) => config.onProductClick?.(item),
    get conversationId() {
      return conversationId;
    },
    get cart() {
      return cart;
    },
    get pendingTools() {
      return pendingTools;
    },
    frames,
    get connected() {
      return authenticated;
    },
    async close() {
      stopped = true;
      timers.clearTimeout(reconnectTimer);
      timers.clearTimeout(pingTimer);
      const ws = socket;
      if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close(1000);
      });
    },
  };
}
