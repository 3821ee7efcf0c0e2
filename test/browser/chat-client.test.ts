import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";

// The page's chat client is a plain browser module; here it runs in Node against a real
// WebSocket server, with `ws` as its WebSocket and the timers injected.
const modulePath = fileURLToPath(new URL("../../reference-store/public/chat-client.js", import.meta.url));

type Frame = Record<string, unknown> & { type: string };
interface ChatClient {
  onFrame: (frame: Frame) => void;
  onStateChange: (state: string) => void;
  onConnect: () => void;
  onDisconnect: () => void;
  onError: (error: Record<string, unknown> & { code: string }) => void;
  onTurnChange: (turn: { busy: boolean; waiting: string[] }) => void;
  readonly state: string;
  readonly busy: boolean;
  readonly waiting: string[];
  readonly conversationId: string | null;
  readonly history: unknown[];
  recordMessage(entry: Record<string, unknown>): void;
  connect(): void;
  sendMessage(text: string): boolean;
  sendAction(action: string, fields?: Record<string, unknown>, label?: string): boolean;
  close(): void;
}
interface ChatClientModule {
  reconnectDelay(attempt: number, random?: () => number): number;
  createChatClient(options: Record<string, unknown>): ChatClient;
  MAX_FRAME_BYTES: number;
  MAX_QUEUED_FRAMES: number;
}
const { createChatClient, reconnectDelay, MAX_FRAME_BYTES, MAX_QUEUED_FRAMES } = (await import(modulePath)) as ChatClientModule;

interface Timer {
  fn: () => void;
  ms: number;
  cleared: boolean;
}

function createManualTimers() {
  const timers: Timer[] = [];
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      const timer = { fn, ms, cleared: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer: Timer) => {
      timer.cleared = true;
    },
    /** Runs the pending timers of exactly `ms`, as if that much time had passed. */
    fire(ms: number) {
      const due = timers.filter((timer) => !timer.cleared && timer.ms === ms);
      for (const timer of due) {
        timer.cleared = true;
        timer.fn();
      }
      return due.length;
    },
    pending: () => timers.filter((timer) => !timer.cleared).map((timer) => timer.ms),
  };
}

function createMemoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  };
}

/** A WebSocket server that hands each connection's frames to the test. */
function createTestServer() {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  const connections: WebSocket[] = [];
  const waiting: Array<(socket: WebSocket) => void> = [];
  const inbox = new WeakMap<WebSocket, { frames: Frame[]; waiters: Array<(frame: Frame) => void> }>();
  server.on("connection", (socket) => {
    const box = { frames: [] as Frame[], waiters: [] as Array<(frame: Frame) => void> };
    inbox.set(socket, box);
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      const waiter = box.waiters.shift();
      if (waiter) waiter(frame);
      else box.frames.push(frame);
    });
    connections.push(socket);
    waiting.shift()?.(socket);
  });
  return {
    server,
    connections,
    get url() {
      return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/ws/chat`;
    },
    nextConnection(): Promise<WebSocket> {
      return new Promise((resolve) => waiting.push(resolve));
    },
    /** Frames received but not yet taken with nextFrame. */
    unread(socket: WebSocket): Frame[] {
      return inbox.get(socket)?.frames ?? [];
    },
    nextFrame(socket: WebSocket): Promise<Frame> {
      const box = inbox.get(socket);
      if (!box) throw new Error("unknown socket");
      const frame = box.frames.shift();
      if (frame) return Promise.resolve(frame);
      return new Promise((resolve) => box.waiters.push(resolve));
    },
    send(socket: WebSocket, frame: Frame) {
      socket.send(JSON.stringify(frame));
    },
    async close() {
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type TestServer = ReturnType<typeof createTestServer>;

describe("reconnectDelay()", () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [2, 4000],
    [3, 8000],
    [4, 10_000],
    [29, 10_000],
  ])("attempt %i waits %i ms before jitter, within ±25 %", (attempt, base) => {
    expect(reconnectDelay(attempt, () => 0.5)).toBe(base);
    expect(reconnectDelay(attempt, () => 0)).toBe(base * 0.75);
    expect(reconnectDelay(attempt, () => 1)).toBe(base * 1.25);
  });
});

describe("createChatClient()", () => {
  let server: TestServer;
  let client: ChatClient | undefined;

  beforeEach(async () => {
    server = createTestServer();
    await once(server.server, "listening");
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await server.close();
  });

  function start(extra: Record<string, unknown> = {}) {
    const timers = createManualTimers();
    const storage = createMemoryStorage();
    const frames: Frame[] = [];
    const errors: Array<{ code: string }> = [];
    const states: string[] = [];
    client = createChatClient({
      url: server.url,
      publicKey: "pk_test_demo",
      storeId: "store-1",
      userId: "shopper-1",
      storage,
      WebSocketImpl: WebSocket,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
      random: () => 0.5,
      ...extra,
    });
    client.onFrame = (frame) => frames.push(frame);
    client.onError = (error) => errors.push(error);
    client.onStateChange = (state) => states.push(state);
    return { client, timers, storage, frames, errors, states };
  }

  async function authenticate(c: ChatClient, conversationId = "conv-1") {
    const socket = await server.nextConnection();
    const auth = await server.nextFrame(socket);
    const connected = new Promise<void>((resolve) => (c.onConnect = resolve));
    server.send(socket, { type: "auth_ok" });
    await connected;
    // As VIZOCHOK does: the conversation is named right after auth_ok.
    server.send(socket, { type: "conversation_started", conversation_id: conversationId });
    await expect.poll(() => c.conversationId).toBe(conversationId);
    return { socket, auth, conversationId };
  }

  it("sends auth first with the key, store and user, then the message", async () => {
    const { client: c } = start();
    c.connect();
    const { socket, auth } = await authenticate(c);
    expect(auth).toEqual({ type: "auth", token: "pk_test_demo", store_id: "store-1", user_id: "shopper-1" });
    expect(c.state).toBe("open");
    c.sendMessage("show me milk");
    expect(await server.nextFrame(socket)).toEqual({ type: "message", text: "show me milk", conversation_id: "conv-1" });
  });

  it("queues a message typed before auth_ok and sends it after", async () => {
    const { client: c } = start();
    c.connect();
    expect(c.sendMessage("hello")).toBe(true);
    const { socket } = await authenticate(c);
    expect(await server.nextFrame(socket)).toEqual({ type: "message", text: "hello", conversation_id: "conv-1" });
  });

  it("holds a message sent between auth_ok and conversation_started, then sends it with the id", async () => {
    const { client: c } = start();
    c.connect();
    const socket = await server.nextConnection();
    await server.nextFrame(socket);
    const connected = new Promise<void>((resolve) => (c.onConnect = resolve));
    server.send(socket, { type: "auth_ok" });
    await connected;
    c.sendMessage("early");
    server.send(socket, { type: "conversation_started", conversation_id: "conv-7" });
    // Without the id the message would start yet another conversation.
    expect(await server.nextFrame(socket)).toEqual({ type: "message", text: "early", conversation_id: "conv-7" });
  });

  it("keeps the conversation id and the history per tab in storage under vz-session-{storeId}", async () => {
    const { client: c, storage } = start();
    c.connect();
    await authenticate(c, "conv-5");
    c.recordMessage({ role: "user", text: "show me milk" });
    c.recordMessage({ role: "agent", text: "Here is what I found" });
    expect(JSON.parse(storage.getItem("vz-session-store-1")!)).toEqual({
      conversation_id: "conv-5",
      messages: [
        { role: "user", text: "show me milk" },
        { role: "agent", text: "Here is what I found" },
      ],
    });
    // A client built on the same storage (the page after a reload) sees both.
    const again = createChatClient({ url: server.url, publicKey: "pk_test_demo", storeId: "store-1", userId: "shopper-1", storage, WebSocketImpl: WebSocket });
    expect(again.conversationId).toBe("conv-5");
    expect(again.history).toHaveLength(2);
  });

  it("keeps the conversation id and resumes with it after an unexpected close", async () => {
    const { client: c, timers, errors } = start();
    c.connect();
    const first = await authenticate(c);
    const started = new Promise<void>((resolve) => (c.onFrame = (frame) => frame.type === "conversation_started" && resolve()));
    server.send(first.socket, { type: "conversation_started", conversation_id: "conv-42" });
    await started;
    expect(c.conversationId).toBe("conv-42");

    c.sendMessage("again");
    expect(await server.nextFrame(first.socket)).toEqual({ type: "message", text: "again", conversation_id: "conv-42" });

    const closed = new Promise<void>((resolve) => (c.onDisconnect = resolve));
    first.socket.close(1011, "restart");
    await closed;
    expect(errors.map((e) => e.code)).toEqual(["connection_lost"]);
    expect(c.state).toBe("reconnecting");
    expect(timers.pending()).toContain(1000);

    const reconnection = server.nextConnection();
    expect(timers.fire(1000)).toBe(1);
    const socket = await reconnection;
    expect(await server.nextFrame(socket)).toEqual({
      type: "auth",
      token: "pk_test_demo",
      store_id: "store-1",
      user_id: "shopper-1",
      conversation_id: "conv-42",
    });
  });

  it.each([
    [4001, "auth_timeout"],
    [4002, "auth_error"],
    [4003, "auth_error"],
    [4004, "auth_error"],
  ])("does not reconnect after close %i and reports %s", async (code, expected) => {
    const { client: c, timers, errors, states } = start();
    c.connect();
    const socket = await server.nextConnection();
    await server.nextFrame(socket);
    const closed = new Promise<void>((resolve) => (c.onStateChange = (state) => state === "closed" && resolve()));
    socket.close(code, "refused");
    await closed;
    expect(errors).toEqual([{ code: expected, close_code: code, message: "refused" }]);
    expect(timers.pending()).toEqual([]);
    expect(states).toEqual(["connecting"]);
    expect(c.sendMessage("anyone?")).toBe(false);
  });

  it("reconnects after 4029 (too many connections) with back-off", async () => {
    const { client: c, timers } = start();
    c.connect();
    const socket = await server.nextConnection();
    await server.nextFrame(socket);
    const reconnecting = new Promise<void>((resolve) => (c.onStateChange = (s) => s === "reconnecting" && resolve()));
    socket.close(4029, "too many connections");
    await reconnecting;
    expect(timers.pending()).toEqual([1000]);
  });

  it("gives up with max_reconnect after the configured attempts, doubling the wait each time", async () => {
    const waits: number[] = [];
    const { client: c, errors } = start({
      maxReconnectAttempts: 3,
      setTimer: (fn: () => void, ms: number) => {
        waits.push(ms);
        setImmediate(fn);
        return {};
      },
    });
    await server.close();
    const gaveUp = new Promise<void>((resolve) => (c.onStateChange = (s) => s === "closed" && resolve()));
    c.connect();
    await gaveUp;
    // connection_lost is reported once per outage; the retries then run silently.
    expect(errors.map((e) => e.code)).toEqual(["connection_lost", "max_reconnect"]);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it("answers a server ping with pong and pings every 30 s", async () => {
    const { client: c, timers } = start();
    c.connect();
    const { socket } = await authenticate(c);
    server.send(socket, { type: "ping" });
    expect(await server.nextFrame(socket)).toEqual({ type: "pong" });
    expect(timers.fire(30_000)).toBe(1);
    expect(await server.nextFrame(socket)).toEqual({ type: "ping" });
  });

  it("refuses a frame over 64 KB with message_too_large and sends nothing", async () => {
    const { client: c, errors } = start();
    c.connect();
    const { socket } = await authenticate(c);
    expect(c.sendMessage("x".repeat(MAX_FRAME_BYTES))).toBe(false);
    expect(errors).toEqual([{ code: "message_too_large", max_size: MAX_FRAME_BYTES }]);
    c.sendAction("add_to_cart", { sku: "milk-001", quantity: 2 });
    expect(await server.nextFrame(socket)).toEqual({ type: "action", action: "add_to_cart", sku: "milk-001", quantity: 2 });
  });

  it("passes every other server frame through in order", async () => {
    const { client: c, frames } = start();
    c.connect();
    const { socket } = await authenticate(c);
    const done = new Promise<void>((resolve) => (c.onFrame = (frame) => {
      frames.push(frame);
      if (frame.type === "response_complete") resolve();
    }));
    const sent: Frame[] = [
      { type: "status", code: "searching" },
      { type: "text_delta", delta: "Here" },
      { type: "text_end" },
      { type: "error", code: "agent_busy" },
      { type: "response_complete", conversation_id: "conv-9", session_summary: { selected_items: [], total: 0, item_count: 0 } },
    ];
    for (const frame of sent) server.send(socket, frame);
    await done;
    expect(frames).toEqual([{ type: "auth_ok" }, { type: "conversation_started", conversation_id: "conv-1" }, ...sent]);
    expect(c.conversationId).toBe("conv-9");
  });

  describe("one turn at a time (VIZOCHOK answers agent_busy to a second request)", () => {
    const complete = { type: "response_complete", conversation_id: "conv-1", session_summary: { selected_items: [], total: 0, item_count: 0 } };
    const add = { type: "action", action: "add_to_cart", sku: "milk-001", quantity: 1 };

    /** Waits until the server has read every frame the client sent so far, then returns them. */
    async function settled(socket: WebSocket): Promise<Frame[]> {
      const probe = new Promise<void>((resolve) => socket.once("pong", () => resolve()));
      socket.ping();
      await probe;
      return server.unread(socket).splice(0);
    }

    it("a second tap while the assistant answers waits, listed by its label, and goes out on response_complete", async () => {
      const { client: c } = start();
      const turns: Array<{ busy: boolean; waiting: string[] }> = [];
      c.connect();
      const { socket } = await authenticate(c);
      c.onTurnChange = (turn) => turns.push(turn);
      expect(c.sendAction("add_to_cart", { sku: "milk-001", quantity: 1 }, "Add Lactel milk × 1")).toBe(true);
      expect(c.sendAction("add_to_cart", { sku: "milk-001", quantity: 1 }, "Add Lactel milk × 1")).toBe(true);
      expect(c.busy).toBe(true);
      expect(c.waiting).toEqual(["Add Lactel milk × 1"]);
      expect(await settled(socket)).toEqual([add]);

      server.send(socket, { type: "cart_changed", action: "item_selected", items: [], total: 0 });
      expect(await settled(socket)).toEqual([]);
      server.send(socket, complete);
      expect(await server.nextFrame(socket)).toEqual(add);
      expect(c.waiting).toEqual([]);
      expect(c.busy).toBe(true);
      server.send(socket, complete);
      await expect.poll(() => c.busy).toBe(false);
      expect(turns).toEqual([
        { busy: true, waiting: [] },
        { busy: true, waiting: ["Add Lactel milk × 1"] },
        { busy: true, waiting: [] },
        { busy: false, waiting: [] },
      ]);
    });

    it("an error frame ends the turn too, and the next waiting frame goes out", async () => {
      const { client: c } = start();
      c.connect();
      const { socket } = await authenticate(c);
      c.sendMessage("show me milk");
      c.sendAction("quick_reply", { value: "milk" });
      expect(await settled(socket)).toEqual([{ type: "message", text: "show me milk", conversation_id: "conv-1" }]);
      server.send(socket, { type: "error", code: "internal_error" });
      expect(await server.nextFrame(socket)).toEqual({ type: "action", action: "quick_reply", value: "milk" });
    });

    it("a close ends the turn; what waits goes out once the reconnected conversation is named", async () => {
      const { client: c, timers } = start();
      c.connect();
      const first = await authenticate(c);
      c.sendAction("add_to_cart", { sku: "milk-001", quantity: 1 });
      c.sendAction("add_to_cart", { sku: "milk-001", quantity: 1 });
      expect(await settled(first.socket)).toEqual([add]);
      const closed = new Promise<void>((resolve) => (c.onDisconnect = resolve));
      first.socket.close(1011, "restart");
      await closed;
      expect(c.busy).toBe(false);
      expect(c.waiting).toEqual(["Add milk-001 × 1"]);

      const reconnection = server.nextConnection();
      timers.fire(1000);
      const socket = await reconnection;
      await server.nextFrame(socket);
      server.send(socket, { type: "auth_ok" });
      server.send(socket, { type: "session_restored", conversation_id: "conv-1", selected_items: [], total: 0, pending_tools: [] });
      expect(await server.nextFrame(socket)).toEqual(add);
    });

    it(`queue_full when ${MAX_QUEUED_FRAMES} frames already wait; those are kept`, async () => {
      const { client: c, errors } = start();
      c.connect();
      const { socket } = await authenticate(c);
      c.sendMessage("show me milk");
      for (let i = 0; i < MAX_QUEUED_FRAMES; i += 1) expect(c.sendAction("add_to_cart", { sku: "milk-001", quantity: 1 })).toBe(true);
      expect(c.sendAction("add_to_cart", { sku: "milk-002", quantity: 1 })).toBe(false);
      expect(errors).toEqual([{ code: "queue_full" }]);
      expect(c.waiting).toHaveLength(MAX_QUEUED_FRAMES);
      expect(await settled(socket)).toHaveLength(1);
    });
  });
});
