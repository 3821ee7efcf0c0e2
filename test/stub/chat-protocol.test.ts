// The chat WebSocket's rules: auth and close codes, limits, errors, sessions, frame order.
import { afterEach, describe, expect, it } from "vitest";
import {
  createVizochokStub,
  createWidgetClient,
  type Agent,
  type TenantConfig,
  type TenantLimits,
  type VizochokStub,
  type VizochokStubOptions,
} from "vizochok-merchant-kit/testing";
import { createManualTimers, openRaw, type RawSocket } from "./raw-socket.js";

let stub: VizochokStub | undefined;
const sockets: RawSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
  await stub?.close();
  stub = undefined;
});

const tenant = (limits: Partial<TenantLimits> = {}, overrides: Partial<TenantConfig> = {}): TenantConfig => ({
  id: "shop",
  publicKey: "pk_test_proto",
  secretKey: "sk_test_proto",
  stores: ["store-1"],
  // No store is needed: the echo agent below calls no webhooks.
  webhooks: { products_url: "http://127.0.0.1:9/check-products", secret: "whsec_proto" },
  catalog: [{ sku: "milk-001", name: "Lactel Milk 2.5% 1 l" }],
  limits,
  ...overrides,
});

/** Answers "echo: …"; waits for `release` when the text is "slow". */
function echoAgent(gate?: { release?: () => void }): Agent {
  return {
    async respond({ input, reply }) {
      if (input.type === "message" && input.text === "slow") await new Promise<void>((resolve) => (gate!.release = resolve));
      if (input.type === "message" && input.text === "explode") throw new Error("agent bug");
      reply.say(`echo: ${input.type === "message" ? input.text : input.type}`);
    },
  };
}

async function start(options: Partial<VizochokStubOptions> = {}, limits: Partial<TenantLimits> = {}) {
  stub = await createVizochokStub({ agent: echoAgent(), tenants: [tenant(limits)], ...options });
  return stub;
}

async function authed(auth: Record<string, unknown> = {}): Promise<RawSocket> {
  const socket = await openRaw(stub!.wsUrl);
  sockets.push(socket);
  socket.send({ type: "auth", token: "pk_test_proto", store_id: "store-1", user_id: "u1", ...auth });
  await socket.next("auth_ok");
  return socket;
}

async function raw(): Promise<RawSocket> {
  const socket = await openRaw(stub!.wsUrl);
  sockets.push(socket);
  return socket;
}

describe("chat WebSocket: auth", () => {
  it("closes 4001 when no auth arrives within 10 s", async () => {
    const timers = createManualTimers();
    await start({ timers });
    const socket = await raw();
    await expect.poll(() => timers.count(10_000)).toBe(1);
    timers.fire(10_000);
    expect(await socket.closed).toBe(4001);
  });

  it("closes 4002 for an unknown key, 4003 for a store the key may not use, 4004 when the first frame is not auth", async () => {
    await start();
    const unknown = await raw();
    unknown.send({ type: "auth", token: "pk_nope" });
    expect(await unknown.closed).toBe(4002);
    const secretAsPublic = await raw();
    secretAsPublic.send({ type: "auth", token: "sk_test_proto" });
    expect(await secretAsPublic.closed).toBe(4002);
    const store = await raw();
    store.send({ type: "auth", token: "pk_test_proto", store_id: "store-9" });
    expect(await store.closed).toBe(4003);
    const notAuth = await raw();
    notAuth.send({ type: "message", text: "hi" });
    expect(await notAuth.closed).toBe(4004);
    const garbage = await raw();
    garbage.send("not json");
    expect(await garbage.closed).toBe(4004);
  });

  it("closes 4029 for a fourth concurrent connection with the same key", async () => {
    await start();
    await authed();
    await authed();
    const third = await authed();
    const fourth = await raw();
    fourth.send({ type: "auth", token: "pk_test_proto" });
    expect(await fourth.closed).toBe(4029);
    third.ws.close();
    await third.closed;
    await authed(); // a slot is free again
  });
});

describe("chat WebSocket: turns", () => {
  it("streams the answer in several text_delta frames in the documented order", async () => {
    await start();
    const socket = await authed();
    socket.send({ type: "message", text: "hello there my friend", conversation_id: (await socket.next("conversation_started")).conversation_id });
    const done = await socket.next("response_complete");
    const order = socket.frames.map((f) => f.type);
    expect(order[0]).toBe("auth_ok");
    expect(order[1]).toBe("conversation_started");
    expect(order.filter((t) => t === "text_delta").length).toBeGreaterThan(1);
    expect(order.slice(-2)).toEqual(["text_end", "response_complete"]);
    expect(socket.frames.filter((f) => f.type === "text_delta").map((f) => f.delta).join("")).toBe("echo: hello there my friend");
    expect(done).toMatchObject({ conversation_id: order[1] && socket.frames[1]!.conversation_id, session_summary: { selected_items: [], total: 0, item_count: 0 } });
  });

  it("answers ping with pong", async () => {
    await start();
    const socket = await authed();
    socket.send({ type: "ping" });
    expect(await socket.next("pong")).toEqual({ type: "pong" });
  });

  it("agent_busy for a second message while the first is still answered", async () => {
    const gate: { release?: () => void } = {};
    await start({ agent: echoAgent(gate) });
    const socket = await authed();
    socket.send({ type: "message", text: "slow", conversation_id: (await socket.next("conversation_started")).conversation_id });
    await expect.poll(() => gate.release !== undefined).toBe(true);
    socket.send({ type: "message", text: "again", conversation_id: socket.frames[1]!.conversation_id });
    expect(await socket.next("error")).toMatchObject({ code: "agent_busy" });
    gate.release!();
    await socket.next("response_complete");
  });

  it("message_too_large (with max_size) for a frame over 64 KB; the connection stays open", async () => {
    await start();
    const socket = await authed();
    socket.send({ type: "message", text: "x".repeat(70_000) });
    expect(await socket.next("error")).toMatchObject({ code: "message_too_large", max_size: 65_536 });
    socket.send({ type: "ping" });
    await socket.next("pong");
  });

  it("invalid_json for a frame that is not JSON or has an unknown type", async () => {
    await start();
    const socket = await authed();
    socket.send("{oops");
    expect(await socket.next("error")).toMatchObject({ code: "invalid_json" });
    socket.send({ type: "dance" });
    await expect.poll(() => socket.frames.filter((f) => f.type === "error").length).toBe(2);
  });

  it("rate_limit_exceeded with retry_after after 10 messages in 60 s", async () => {
    let now = 1_767_225_600_000;
    await start({ now: () => now });
    const socket = await authed();
    for (let i = 0; i < 10; i++) {
      socket.send({ type: "message", text: `m${i}` });
      await expect.poll(() => socket.frames.filter((f) => f.type === "response_complete").length).toBe(i + 1);
    }
    now += 15_000;
    socket.send({ type: "message", text: "one too many" });
    expect(await socket.next("error")).toMatchObject({ code: "rate_limit_exceeded", retry_after: 45 });
    now += 45_000;
    const from = socket.frames.length;
    socket.send({ type: "message", text: "fits again" });
    await socket.next("response_complete", from);
  });

  it("user_message_limit and user_conversation_limit carry the limit", async () => {
    await start({}, { userMessagesPerDay: 2, userConversationsPerDay: 1 });
    const socket = await authed();
    const conversationId = (await socket.next("conversation_started")).conversation_id;
    socket.send({ type: "message", text: "one", conversation_id: conversationId });
    await socket.next("response_complete");
    socket.send({ type: "message", text: "two", conversation_id: conversationId });
    await expect.poll(() => socket.frames.filter((f) => f.type === "response_complete").length).toBe(2);
    socket.send({ type: "message", text: "three", conversation_id: conversationId });
    expect(await socket.next("error")).toMatchObject({ code: "user_message_limit", limit: 2 });

    const other = await authed({ user_id: "u1" });
    other.send({ type: "message", text: "a new conversation" });
    expect(await other.next("error")).toMatchObject({ code: "user_conversation_limit", limit: 1 });
  });

  it("session_token_limit, tenant_daily_token_limit and tenant_monthly_token_limit", async () => {
    for (const [limits, code] of [
      [{ sessionTokens: 1 }, "session_token_limit"],
      [{ tenantDailyTokens: 1 }, "tenant_daily_token_limit"],
      [{ tenantMonthlyTokens: 1 }, "tenant_monthly_token_limit"],
    ] as const) {
      await start({}, limits);
      const socket = await authed();
      socket.send({ type: "message", text: "spend some tokens", conversation_id: (await socket.next("conversation_started")).conversation_id });
      await socket.next("response_complete");
      socket.send({ type: "message", text: "more", conversation_id: socket.frames[1]!.conversation_id });
      expect(await socket.next("error")).toMatchObject({ code });
      await stub!.close();
      stub = undefined;
    }
  });

  it("internal_error when the agent fails or exceeds its time", async () => {
    const timers = createManualTimers();
    const gate: { release?: () => void } = {};
    await start({ timers, agent: echoAgent(gate) }, { agentTimeoutMs: 5_000 });
    const socket = await authed();
    socket.send({ type: "message", text: "explode" });
    expect(await socket.next("error")).toMatchObject({ code: "internal_error" });
    const from = socket.frames.length;
    socket.send({ type: "message", text: "slow", conversation_id: socket.frames[1]!.conversation_id });
    await expect.poll(() => timers.count(5_000)).toBe(1);
    timers.fire(5_000);
    expect(await socket.next("error", from)).toMatchObject({ code: "internal_error" });
    gate.release!();
  });

  it("the agent's signal aborts when its time runs out, and what it says afterwards is dropped", async () => {
    const timers = createManualTimers();
    const signals: AbortSignal[] = [];
    let release: (() => void) | undefined;
    const late: Agent = {
      async respond({ input, reply, signal }) {
        signals.push(signal);
        if (input.type === "message" && input.text === "slow") await new Promise<void>((resolve) => (release = resolve));
        reply.say("late or not");
      },
    };
    await start({ timers, agent: late }, { agentTimeoutMs: 5_000 });
    const socket = await authed();
    socket.send({ type: "message", text: "quick" });
    await socket.next("response_complete");
    expect(signals[0]!.aborted).toBe(true);
    const from = socket.frames.length;
    socket.send({ type: "message", text: "slow", conversation_id: socket.frames[1]!.conversation_id });
    await expect.poll(() => timers.count(5_000)).toBe(1);
    expect(signals[1]!.aborted).toBe(false);
    timers.fire(5_000);
    expect(await socket.next("error", from)).toMatchObject({ code: "internal_error" });
    expect(signals[1]!.aborted).toBe(true);
    release!();
    socket.send({ type: "ping" });
    await socket.next("pong", from);
    expect(socket.frames.slice(from).map((frame) => frame.type)).toEqual(["error", "pong"]);
  });

  it("max_rounds_exceeded when the agent calls too many tools in one turn", async () => {
    const greedy: Agent = {
      async respond({ tools }) {
        for (;;) await tools.checkProducts(["milk-001"]);
      },
    };
    await start({ agent: greedy }, { maxRounds: 0 });
    const socket = await authed();
    socket.send({ type: "message", text: "go" });
    expect(await socket.next("error")).toMatchObject({ code: "max_rounds_exceeded" });
  });

  it("no_catalog_data when the tenant has no active products", async () => {
    stub = await createVizochokStub({ agent: echoAgent(), tenants: [tenant({}, { catalog: [] })] });
    const socket = await authed();
    socket.send({ type: "message", text: "milk" });
    expect(await socket.next("error")).toMatchObject({ code: "no_catalog_data" });
  });
});

describe("chat WebSocket: sessions", () => {
  it("restores a conversation within 1 h of inactivity and forgets it after", async () => {
    let now = 1_767_225_600_000;
    await start({ now: () => now });
    const first = await authed();
    first.send({ type: "message", text: "hi" });
    await first.next("response_complete");
    const conversationId = first.frames[1]!.conversation_id;
    first.ws.close();
    await first.closed;

    now += 60 * 60 * 1000; // exactly one hour idle: still kept
    const back = await authed({ conversation_id: conversationId });
    expect(await back.next("session_restored")).toEqual({
      type: "session_restored",
      conversation_id: conversationId,
      selected_items: [],
      total: 0,
      pending_tools: [],
    });
    back.ws.close();
    await back.closed;

    now += 60 * 60 * 1000 + 1;
    const late = await authed({ conversation_id: conversationId });
    late.send({ type: "message", text: "hello again", conversation_id: conversationId });
    const started = await late.next("conversation_started");
    expect(started.conversation_id).not.toBe(conversationId);
    expect(late.frames.some((f) => f.type === "session_restored")).toBe(false);
  });

  it("another user cannot resume someone else's conversation", async () => {
    await start();
    const owner = await authed();
    owner.send({ type: "message", text: "hi" });
    await owner.next("response_complete");
    const intruder = await authed({ user_id: "u2", conversation_id: owner.frames[1]!.conversation_id });
    intruder.send({ type: "ping" });
    await intruder.next("pong");
    expect(intruder.frames.some((f) => f.type === "session_restored")).toBe(false);
  });
});

describe("chat WebSocket: heartbeat", () => {
  it("pings after 30 s of client silence; a pong keeps the connection, no pong within 60 s closes it with 1001", async () => {
    const timers = createManualTimers();
    await start({ timers });
    const socket = await authed();
    await expect.poll(() => timers.count(30_000)).toBe(1);
    timers.fire(30_000);
    expect(await socket.next("ping")).toEqual({ type: "ping" });
    expect(timers.count(60_000)).toBe(1);
    socket.send({ type: "pong" });
    // The pong cancels the deadline and the silence is measured again.
    await expect.poll(() => timers.count(60_000)).toBe(0);
    expect(timers.count(30_000)).toBe(1);

    const from = socket.frames.length;
    timers.fire(30_000);
    await socket.next("ping", from);
    timers.fire(60_000);
    expect(await socket.closed).toBe(1001);
  });

  it("takes both intervals as options", async () => {
    const timers = createManualTimers();
    await start({ timers, heartbeatIntervalMs: 7, pongTimeoutMs: 11 });
    const socket = await authed();
    await expect.poll(() => timers.count(7)).toBe(1);
    timers.fire(7);
    await socket.next("ping");
    timers.fire(11);
    expect(await socket.closed).toBe(1001);
  });

  it("the headless widget client answers the server's ping", async () => {
    const timers = createManualTimers();
    await start({ timers });
    const client = createWidgetClient({ url: stub!.wsUrl, publicKey: "pk_test_proto", storeId: "store-1", userId: "u1" });
    await client.connect();
    await expect.poll(() => timers.count(30_000)).toBe(1);
    timers.fire(30_000);
    await expect.poll(() => client.frames.some((frame) => frame.type === "ping")).toBe(true);
    await expect.poll(() => timers.count(60_000)).toBe(0);
    expect(timers.count(30_000)).toBe(1);
    expect(client.connected).toBe(true);
    await client.close();
  });
});

describe("chat WebSocket: token budget", () => {
  it("from 80 % of sessionTokens each answer suggests a new conversation; the quick reply starts one", async () => {
    await start({}, { sessionTokens: 40 });
    const socket = await authed();
    const { conversation_id } = await socket.next("conversation_started");
    socket.send({ type: "message", text: "hi", conversation_id });
    await socket.next("response_complete");
    expect(socket.frames.map((frame) => frame.type)).not.toContain("quick_replies");

    const from = socket.frames.length;
    socket.send({ type: "message", text: "a rather long message that uses most of this conversation's budget", conversation_id });
    await socket.next("response_complete", from);
    const answer = socket.frames.slice(from);
    expect(answer.map((frame) => frame.type).slice(-2)).toEqual(["quick_replies", "response_complete"]);
    expect(answer.filter((frame) => frame.type === "text_delta").map((frame) => frame.delta).join("")).toContain("start a new one");
    expect(answer.find((frame) => frame.type === "quick_replies")).toEqual({
      type: "quick_replies",
      options: [{ label: "Start a new conversation", value: "new_conversation" }],
    });

    const next = socket.frames.length;
    socket.send({ type: "action", action: "quick_reply", value: "new_conversation", conversation_id });
    const done = await socket.next("response_complete", next);
    const started = socket.frames.slice(next).find((frame) => frame.type === "conversation_started");
    expect(started?.conversation_id).toEqual(expect.any(String));
    expect(started?.conversation_id).not.toBe(conversation_id);
    expect(done.conversation_id).toBe(started?.conversation_id);
  });
});
