// The chat WebSocket client: the protocol only, no DOM. It speaks exactly what the VIZOCHOK
// widget speaks (auth, message, action, ping/pong), keeps the conversation id for
// `session_restored`, and reconnects with the documented back-off.

/** Close codes after which the widget must not reconnect (bad or missing auth). */
export const FINAL_CLOSE_CODES = new Set([4001, 4002, 4003, 4004]);
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_RECONNECT_ATTEMPTS = 30;
export const PING_INTERVAL_MS = 30_000;
export const MAX_QUEUED_FRAMES = 20;

/**
 * Back-off before reconnect attempt `attempt` (0-based): `min(1000 * 2^attempt, 10000)` ms
 * with ±25 % jitter.
 * @example reconnectDelay(2, () => 0.5) // 4000
 */
export function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(1000 * 2 ** attempt, 10_000);
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Creates a chat client. Callbacks mirror the widget SDK: `onConnect`, `onDisconnect`,
 * `onError({code, message?, ...})`, plus `onFrame(frame)` for every server frame and
 * `onStateChange(state)` with `connecting | open | reconnecting | closed`.
 * @example
 * const chat = createChatClient({ url, publicKey: "pk_test_demo", storeId: "store-1", userId });
 * chat.onFrame = (frame) => console.log(frame.type);
 * chat.connect();
 * chat.sendMessage("show me milk");
 */
export function createChatClient(options) {
  const {
    url,
    publicKey,
    storeId,
    userId,
    storage = globalThis.localStorage,
    WebSocketImpl = globalThis.WebSocket,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (id) => clearTimeout(id),
    random = Math.random,
    pingIntervalMs = PING_INTERVAL_MS,
    maxReconnectAttempts = MAX_RECONNECT_ATTEMPTS,
  } = options;
  const storageKey = `vizochok.conversation.${storeId}.${userId}`;
  const queue = [];
  let socket = null;
  let state = "closed";
  let attempt = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let stopped = false;

  const client = {
    onFrame: () => {},
    onStateChange: () => {},
    onConnect: () => {},
    onDisconnect: () => {},
    onError: () => {},
    get state() {
      return state;
    },
    get conversationId() {
      return readConversationId();
    },
    connect,
    sendMessage,
    sendAction,
    forgetConversation,
    close,
  };

  function readConversationId() {
    try {
      return storage?.getItem(storageKey) ?? null;
    } catch {
      return null;
    }
  }

  function saveConversationId(id) {
    try {
      storage?.setItem(storageKey, id);
    } catch {
      // Private windows may refuse storage; the chat still works, it just cannot resume.
    }
  }

  function forgetConversation() {
    try {
      storage?.removeItem(storageKey);
    } catch {
      // Nothing to forget.
    }
  }

  function setState(next) {
    if (state === next) return;
    state = next;
    client.onStateChange(next);
  }

  function connect() {
    stopped = false;
    open();
  }

  function open() {
    setState(attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocketImpl(url);
    socket = ws;
    let authenticated = false;
    ws.onopen = () => {
      const auth = { type: "auth", token: publicKey, store_id: storeId, user_id: userId };
      const conversationId = readConversationId();
      if (conversationId) auth.conversation_id = conversationId;
      ws.send(JSON.stringify(auth));
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(String(event.data));
      } catch {
        client.onError({ code: "ws_error", message: "The server sent a frame that is not JSON." });
        return;
      }
      if (frame.type === "auth_ok") {
        authenticated = true;
        attempt = 0;
        setState("open");
        startPing(ws);
        client.onConnect();
        flushQueue();
      } else if (frame.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
        return;
      } else if (frame.type === "pong") {
        return;
      }
      if (typeof frame.conversation_id === "string") saveConversationId(frame.conversation_id);
      client.onFrame(frame);
    };
    ws.onerror = () => {
      // A close event always follows; the close code decides what happens next.
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      stopPing();
      if (authenticated) client.onDisconnect();
      if (stopped) {
        setState("closed");
        return;
      }
      if (FINAL_CLOSE_CODES.has(event.code)) {
        stopped = true;
        setState("closed");
        client.onError({
          code: event.code === 4001 ? "auth_timeout" : "auth_error",
          close_code: event.code,
          message: event.reason || undefined,
        });
        return;
      }
      if (attempt >= maxReconnectAttempts) {
        stopped = true;
        setState("closed");
        client.onError({ code: "max_reconnect", close_code: event.code });
        return;
      }
      if (authenticated || attempt === 0) {
        client.onError({ code: "connection_lost", close_code: event.code });
      }
      const delay = reconnectDelay(attempt, random);
      attempt += 1;
      setState("reconnecting");
      reconnectTimer = setTimer(() => {
        reconnectTimer = null;
        if (!stopped) open();
      }, delay);
    };
  }

  function startPing(ws) {
    stopPing();
    const tick = () => {
      if (ws.readyState === 1) ws.send(JSON.stringify({ type: "ping" }));
      pingTimer = setTimer(tick, pingIntervalMs);
    };
    pingTimer = setTimer(tick, pingIntervalMs);
  }

  function stopPing() {
    if (pingTimer !== null) clearTimer(pingTimer);
    pingTimer = null;
  }

  function send(frame) {
    const text = JSON.stringify(frame);
    if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES) {
      client.onError({ code: "message_too_large", max_size: MAX_FRAME_BYTES });
      return false;
    }
    if (state === "open" && socket?.readyState === 1) {
      socket.send(text);
      return true;
    }
    if (stopped || queue.length >= MAX_QUEUED_FRAMES) {
      client.onError({ code: stopped ? "connection_lost" : "queue_full" });
      return false;
    }
    queue.push(text);
    return true;
  }

  function flushQueue() {
    while (queue.length > 0 && socket?.readyState === 1) socket.send(queue.shift());
  }

  function sendMessage(text) {
    const frame = { type: "message", text };
    const conversationId = readConversationId();
    if (conversationId) frame.conversation_id = conversationId;
    return send(frame);
  }

  function sendAction(action, fields = {}) {
    return send({ type: "action", action, ...fields });
  }

  function close() {
    stopped = true;
    if (reconnectTimer !== null) clearTimer(reconnectTimer);
    reconnectTimer = null;
    stopPing();
    queue.length = 0;
    if (socket) socket.close(1000);
    else setState("closed");
  }

  return client;
}
