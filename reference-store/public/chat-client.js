// The chat WebSocket client: the protocol only, no DOM. It speaks exactly what the VIZOCHOK
// widget speaks (auth, message, action, ping/pong), keeps the conversation id and the message
// history per tab in sessionStorage under `vz-session-{storeId}` (as the widget does), and
// reconnects with the documented back-off.

/** Close codes after which the widget must not reconnect (bad or missing auth). */
export const FINAL_CLOSE_CODES = new Set([4001, 4002, 4003, 4004]);
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_RECONNECT_ATTEMPTS = 30;
export const PING_INTERVAL_MS = 30_000;
export const MAX_QUEUED_FRAMES = 20;
/** Messages kept in the tab's history; the oldest go first. */
export const MAX_HISTORY = 200;

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
    storage = globalThis.sessionStorage,
    WebSocketImpl = globalThis.WebSocket,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (id) => clearTimeout(id),
    random = Math.random,
    pingIntervalMs = PING_INTERVAL_MS,
    maxReconnectAttempts = MAX_RECONNECT_ATTEMPTS,
  } = options;
  const storageKey = `vz-session-${storeId}`;
  const queue = [];
  let socket = null;
  let state = "closed";
  /** The server has named the conversation (conversation_started or session_restored). */
  let ready = false;
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
    /** What this tab's conversation showed so far: `{role, text?, items?}` entries, oldest first. */
    get history() {
      return readSession().messages;
    },
    recordMessage,
    connect,
    sendMessage,
    sendAction,
    forgetConversation,
    close,
  };

  function readSession() {
    try {
      const saved = JSON.parse(storage?.getItem(storageKey) ?? "null");
      if (saved && typeof saved === "object") {
        return {
          conversation_id: typeof saved.conversation_id === "string" ? saved.conversation_id : null,
          messages: Array.isArray(saved.messages) ? saved.messages : [],
        };
      }
    } catch {
      // Unreadable or refused storage: start afresh.
    }
    return { conversation_id: null, messages: [] };
  }

  function writeSession(session) {
    try {
      storage?.setItem(storageKey, JSON.stringify(session));
    } catch {
      // Private windows may refuse storage; the chat still works, it just cannot resume.
    }
  }

  function readConversationId() {
    return readSession().conversation_id;
  }

  function saveConversationId(id) {
    const session = readSession();
    if (session.conversation_id !== id) writeSession({ ...session, conversation_id: id });
  }

  function recordMessage(entry) {
    const session = readSession();
    writeSession({ ...session, messages: [...session.messages, entry].slice(-MAX_HISTORY) });
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
      } else if (frame.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
        return;
      } else if (frame.type === "pong") {
        return;
      }
      if (typeof frame.conversation_id === "string") saveConversationId(frame.conversation_id);
      client.onFrame(frame);
      // Messages wait until the conversation is named, so the first one carries its id.
      if (frame.type === "conversation_started" || frame.type === "session_restored") {
        ready = true;
        flushQueue();
      }
    };
    ws.onerror = () => {
      // A close event always follows; the close code decides what happens next.
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      ready = false;
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
    if (new TextEncoder().encode(JSON.stringify(withConversation(frame))).length > MAX_FRAME_BYTES) {
      client.onError({ code: "message_too_large", max_size: MAX_FRAME_BYTES });
      return false;
    }
    if (state === "open" && ready && socket?.readyState === 1) {
      socket.send(JSON.stringify(withConversation(frame)));
      return true;
    }
    if (stopped || queue.length >= MAX_QUEUED_FRAMES) {
      client.onError({ code: stopped ? "connection_lost" : "queue_full" });
      return false;
    }
    queue.push(frame);
    return true;
  }

  /** A message goes to the conversation the server named last; omitting the id would start a new one. */
  function withConversation(frame) {
    const conversationId = readConversationId();
    return frame.type === "message" && conversationId ? { ...frame, conversation_id: conversationId } : frame;
  }

  function flushQueue() {
    while (queue.length > 0 && ready && socket?.readyState === 1) socket.send(JSON.stringify(withConversation(queue.shift())));
  }

  function sendMessage(text) {
    return send({ type: "message", text });
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
