// The chat WebSocket client: the protocol only, no DOM. It speaks exactly what the VIZOCHOK
// widget speaks (auth, message, action, ping/pong), keeps the conversation id and the message
// history per tab in sessionStorage under `vz-session-{storeId}` (as the widget does), and
// reconnects with the documented back-off. VIZOCHOK answers one request at a time per
// conversation (`agent_busy` otherwise), so the client sends one turn at a time: a message or
// action made while the assistant answers waits in the queue until `response_complete` (or an
// `error`) ends that turn, and then goes out in order.

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
 * `onError({code, message?, ...})`, plus `onFrame(frame)` for every server frame,
 * `onStateChange(state)` with `connecting | open | reconnecting | closed`, and
 * `onTurnChange({ busy, waiting })` whenever a turn starts or ends or the queue changes
 * (`waiting`: the labels given to the frames still queued, oldest first).
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
  /** Frames not sent yet, as `{ frame, label }`: before the conversation is named, or while a turn runs. */
  const queue = [];
  let socket = null;
  /** A message or action was sent and its turn has not ended (`response_complete` or `error`). */
  let busy = false;
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
    onTurnChange: () => {},
    get state() {
      return state;
    },
    /** The assistant is answering a message or action this client sent. */
    get busy() {
      return busy;
    },
    /** Labels of the frames waiting to be sent, oldest first. */
    get waiting() {
      return queue.map((entry) => entry.label);
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
        sendNext();
      } else if (busy && (frame.type === "response_complete" || frame.type === "error")) {
        // The turn is over: the next waiting frame may go.
        busy = false;
        if (!sendNext()) announceTurn();
      }
    };
    ws.onerror = () => {
      // A close event always follows; the close code decides what happens next.
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      ready = false;
      // A turn cut off by the close never ends on this socket; what waits goes after the reconnect.
      if (busy) {
        busy = false;
        announceTurn();
      }
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

  /**
   * Sends a message or action now, or queues it (before the conversation is named, or while a
   * turn runs). `false` when it was refused: too large, queue full, or the client is stopped.
   */
  function send(frame, label) {
    if (new TextEncoder().encode(JSON.stringify(withConversation(frame))).length > MAX_FRAME_BYTES) {
      client.onError({ code: "message_too_large", max_size: MAX_FRAME_BYTES });
      return false;
    }
    if (stopped || queue.length >= MAX_QUEUED_FRAMES) {
      client.onError({ code: stopped ? "connection_lost" : "queue_full" });
      return false;
    }
    queue.push({ frame, label: label ?? describeFrame(frame) });
    if (!sendNext()) announceTurn();
    return true;
  }

  function canSend() {
    return state === "open" && ready && !busy && socket?.readyState === 1;
  }

  /** Sends the oldest waiting frame if no turn runs; `true` when one went out. */
  function sendNext() {
    if (queue.length === 0 || !canSend()) return false;
    socket.send(JSON.stringify(withConversation(queue.shift().frame)));
    busy = true;
    announceTurn();
    return true;
  }

  function announceTurn() {
    client.onTurnChange({ busy, waiting: client.waiting });
  }

  /** A message goes to the conversation the server named last; omitting the id would start a new one. */
  function withConversation(frame) {
    const conversationId = readConversationId();
    return frame.type === "message" && conversationId ? { ...frame, conversation_id: conversationId } : frame;
  }

  function sendMessage(text) {
    return send({ type: "message", text });
  }

  /** `label` says what the shopper did, for the page to show while the action waits; it is not sent. */
  function sendAction(action, fields = {}, label) {
    return send({ type: "action", action, ...fields }, label);
  }

  function close() {
    stopped = true;
    if (reconnectTimer !== null) clearTimer(reconnectTimer);
    reconnectTimer = null;
    stopPing();
    queue.length = 0;
    busy = false;
    announceTurn();
    if (socket) socket.close(1000);
    else setState("closed");
  }

  return client;
}

/** What a queued frame is, when the caller gave no label. */
function describeFrame(frame) {
  if (frame.type === "message") return `“${frame.text}”`;
  if (frame.action === "add_to_cart") return `Add ${frame.sku} × ${frame.quantity ?? 1}`;
  return frame.action;
}
