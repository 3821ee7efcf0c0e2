// A client that knows only VIZOCHOK's pages (seeds/002, 003, 004) against the real `npm start`:
// their Node.js and Python examples, and every step of the documented lifecycle over a bare
// WebSocket, with nothing from this kit on the client side.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_CLIENT, PYTHON, PYTHON_CLIENT, pythonMissing, pythonSkipNote, runClient, skipPython, type ClientTarget } from "./seed-client-runner.js";
import { openRaw, type RawSocket } from "./raw-socket.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let child: ChildProcess | undefined;
let dir: string;
let target: ClientTarget;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vizochok-seed-flows-"));
  child = spawn("npm", ["start"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VIZOCHOK_WEBHOOK_SECRET: "", PORT: "0", STUB_PORT: "0", DATABASE_PATH: join(dir, "store.db") },
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const storeUrl = await new Promise<string>((resolve, reject) => {
    child!.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Storefront \+ chat\s+(\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child!.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  // What a retailer copies from the start-up banner: the chat URL, the public key and the store.
  const config = (await (await fetch(new URL("/demo/config.json", storeUrl))).json()) as { wsUrl: string; publicKey: string; storeId: string };
  target = { wsUrl: config.wsUrl, publicKey: config.publicKey, storeId: config.storeId };
}, 60_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const closed = once(child, "close");
    process.kill(-child.pid, "SIGINT");
    await closed;
  }
  await rm(dir, { recursive: true, force: true });
});

const sockets: RawSocket[] = [];
afterAll(() => {
  for (const socket of sockets) socket.ws.terminate();
});

async function connect(auth: Record<string, unknown>): Promise<RawSocket> {
  const socket = await openRaw(target.wsUrl);
  sockets.push(socket);
  socket.send({ type: "auth", token: target.publicKey, store_id: target.storeId, ...auth });
  return socket;
}

/** True when `expected` appears in `types` in this order (other frames may come between). */
function inOrder(types: string[], expected: string[]): boolean {
  let at = 0;
  for (const type of types) if (type === expected[at]) at++;
  return at === expected.length;
}

describe("against npm start, as VIZOCHOK's pages describe it", () => {
  it("the Node.js example client completes and prints the answer", async () => {
    const result = await runClient(process.execPath, [NODE_CLIENT], target);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/milk/i);
  });

  it.skipIf(skipPython)(`the Python example client completes and prints the answer${pythonSkipNote}`, async () => {
    if (pythonMissing !== undefined) throw new Error(pythonMissing);
    const result = await runClient(PYTHON, [PYTHON_CLIENT], target);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/milk/i);
  });

  it("every documented step over a bare WebSocket: auth, message, Add, ping, background, foreground, new conversation", async () => {
    const user = `seed-reader-${process.pid}`;
    // Quick start 1–2 and the mobile lifecycle step 1: auth, wait for auth_ok; the server names the conversation.
    const app = await connect({ user_id: user });
    expect(await app.next("auth_ok")).toEqual({ type: "auth_ok" });
    const conversationId = String((await app.next("conversation_started")).conversation_id);

    // Quick start 3–4: a message with the id; status, text deltas, text_end, product_cards, response_complete.
    app.send({ type: "message", text: "Show me milk", conversation_id: conversationId });
    const cards = (await app.next("product_cards")).items as Array<{ sku: string; name: string; price: number }>;
    await app.next("response_complete");
    const answer = app.frames.slice(2).map((frame) => frame.type);
    expect(inOrder(answer, ["status", "text_delta", "text_end", "product_cards", "response_complete"])).toBe(true);
    expect(cards.length).toBeGreaterThan(0);

    // Mobile step 3: tap "Add" = an action with sku and quantity; cart_changed confirms it.
    const card = cards[0]!;
    let from = app.frames.length;
    app.send({ type: "action", sku: card.sku, quantity: 2 });
    const changed = await app.next("cart_changed", from);
    expect(changed).toMatchObject({ action: "item_selected", sku: card.sku, quantity: 2, items: [expect.objectContaining({ sku: card.sku, quantity: 2 })] });
    await app.next("response_complete", from);

    // Heartbeat: the client's ping gets a pong.
    from = app.frames.length;
    app.send({ type: "ping" });
    expect(await app.next("pong", from)).toEqual({ type: "pong" });

    // Mobile step 4: background — close gracefully and keep the id.
    app.ws.close(1000);
    await app.closed;

    // Mobile step 5: foreground — auth with the saved id; session_restored carries the cart.
    const back = await connect({ user_id: user, conversation_id: conversationId });
    await back.next("auth_ok");
    const restored = await back.next("session_restored");
    expect(restored).toMatchObject({ conversation_id: conversationId, selected_items: [expect.objectContaining({ sku: card.sku, quantity: 2 })] });
    expect(back.frames.map((frame) => frame.type)).toEqual(["auth_ok", "session_restored"]);

    // "Omit conversation_id to start a new conversation."
    from = back.frames.length;
    back.send({ type: "message", text: "What milk do you have?" });
    const done = await back.next("response_complete", from);
    const started = back.frames.slice(from).find((frame) => frame.type === "conversation_started");
    expect(started?.conversation_id).not.toBe(conversationId);
    expect(done.conversation_id).toBe(started?.conversation_id);
  });
});
