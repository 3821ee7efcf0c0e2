// Property-based fuzz of everything `npm start` serves: the three webhooks (signed and not), the
// storefront API, the stub's HTTP API and its chat WebSocket. Each run sends a fixed-seed batch and
// a random-seed batch (printed; replay one with FUZZ_SEED=<seed>). Nothing a client sends may get
// a 5xx or an `internal_error`, the process must keep running, and afterwards the database must
// pass SQLite's integrity_check, hold exactly the reserved stock its cart lines account for, and
// no cart line may name an unknown SKU.
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import BetterSqlite3 from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "vizochok-merchant-kit";
import { WebSocket } from "ws";
import { spawnDemo, type DemoProcess } from "./spawn-demo.js";

const FIXED_SEED = 20_261_201;
const RANDOM_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Per seed: HTTP requests and chat frames; two seeds make more than 10,000 per run. */
const HTTP_REQUESTS = 4_600;
const CHAT_FRAMES = 500;
const SECRET = "whsec_fuzz_secret";
const ADMIN_KEY = "sk_test_demo";

const catalog = JSON.parse(readFileSync(new URL("../../fixtures/catalog.json", import.meta.url), "utf8")) as { products: Array<{ sku: string }> };
const SKUS = catalog.products.slice(0, 25).map((product) => product.sku);

// ── generators ───────────────────────────────────────────────────────────────

const oddText = fc.constantFrom("", " ", "\ud800", "x\udfff", "\udbff\udfff", "%", "%E0%A4%A", "../..", "milk-001\u0000", "ＭＩＬＫ", "a".repeat(300), "null", "молоко");
const text = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, fc.string({ unit: "binary", maxLength: 20 }), oddText);
const sku = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SKUS) }, text);
const storeId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("store-1", "store-2") }, text);
const sessionId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("s1", "s2", "s3", "s4") }, text);
const quantity = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -2, max: 12 }) },
  fc.double({ noNaN: false }),
  fc.constantFrom(0.1, 0.25, 0.3, 1e308, -0, 5e-324),
  text,
  fc.constant(null),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });

const cartBody = fc.record(
  {
    action: fc.oneof({ weight: 5, arbitrary: fc.constantFrom("add", "remove", "update_quantity", "clear") }, text),
    store_id: storeId,
    session_id: sessionId,
    sku,
    quantity,
    name: fc.oneof(text, anyJson),
    price: fc.oneof(fc.double(), fc.constantFrom(38.9, 0, -1), text),
    extra: anyJson,
  },
  { requiredKeys: ["action", "store_id", "session_id"] },
);
const productsBody = fc.record(
  { skus: fc.oneof({ weight: 4, arbitrary: fc.array(sku, { maxLength: 12 }) }, anyJson), store_id: storeId },
  { requiredKeys: [] },
);

/** How the body is turned into bytes: JSON mostly, sometimes cut short, sometimes raw bytes. */
const encoding = fc.oneof(
  { weight: 8, arbitrary: fc.constant("json" as const) },
  fc.constant("truncated" as const),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ raw: bytes })),
);
/** How it is signed: correctly mostly, else the ways a client gets it wrong. */
const signing = fc.oneof(
  { weight: 8, arbitrary: fc.constant("valid" as const) },
  fc.constantFrom("none" as const, "wrong-secret" as const, "stale" as const, "future" as const, "garbage" as const),
);

type Encoding = "json" | "truncated" | { raw: Uint8Array };
type Signing = "valid" | "none" | "wrong-secret" | "stale" | "future" | "garbage";

interface FuzzRequest {
  server: "store" | "stub";
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Webhook requests are signed when sent, so the timestamp is current. */
  sign?: Signing;
}

/** Percent-encodes every byte of the UTF-8 form (a lone surrogate becomes U+FFFD, as a browser does). */
const encode = (value: string) => [...Buffer.from(value, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
const queryValue = fc.oneof({ weight: 4, arbitrary: text.map(encode) }, fc.constantFrom("%", "%E0%A4%A", "%ZZ", "%00", "%2", "+"));
const query = (names: string[]) =>
  fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, fc.string({ maxLength: 5 }).map(encode)), queryValue), { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([name, value]) => `${name}=${value}`).join("&")}`));

function bodyBytes(value: unknown, how: Encoding): Buffer {
  if (typeof how === "object") return Buffer.from(how.raw);
  const json = JSON.stringify(value) ?? "null";
  return Buffer.from(how === "truncated" ? json.slice(0, Math.max(0, json.length - 3)) : json);
}

const jsonType = fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, fc.constantFrom("text/plain", "application/json; charset=latin1", ""));

const webhookPost = fc
  .tuple(fc.oneof(fc.tuple(fc.constant("/api/vizochok/cart"), cartBody), fc.tuple(fc.constant("/api/vizochok/check-products"), productsBody)), encoding, signing, jsonType, fc.constantFrom("POST", "POST", "POST", "PUT", "GET"))
  .map(([[path, value], how, sign, type, method]): FuzzRequest => ({
    server: "store",
    method,
    target: path,
    headers: type === "" ? {} : { "content-type": type },
    body: bodyBytes(value, how),
    sign,
  }));
const cartGet = fc.tuple(query(["store_id", "session_id"]), signing).map(([q, sign]): FuzzRequest => ({ server: "store", method: "GET", target: `/api/vizochok/cart/items${q}`, headers: {}, sign }));
const storefront = fc
  .tuple(fc.constantFrom("/api/products", "/api/cart", "/healthz", "/demo/config.json", "/api/vizochok", "/api/products/", "/%", "/nowhere"), query(["q", "store_id", "category", "limit", "offset", "session_id"]))
  .map(([path, q]): FuzzRequest => ({ server: "store", method: "GET", target: path + q, headers: {} }));

const product = fc.record(
  {
    sku,
    name: fc.oneof(text, anyJson),
    unit: fc.oneof(fc.constantFrom("pcs", "kg"), text),
    quantity_step: fc.oneof(fc.double(), fc.constant(0.1)),
    is_active: fc.oneof(fc.boolean(), anyJson),
    attributes: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 3 }), anyJson),
  },
  { requiredKeys: ["sku"] },
);
const adminKey = fc.oneof({ weight: 6, arbitrary: fc.constant(`Bearer ${ADMIN_KEY}`) }, fc.constantFrom("", "Bearer pk_test_demo", "Bearer sk_nope", "Basic x"));
// Webhook URLs and the secret stay as they are (the chat keeps reaching the store): only values
// the API must refuse, and the timeout, are generated for them.
const webhooksPatch = fc.record(
  {
    products_url: fc.constantFrom("", "not a url", "ftp://example.com/x", "http://["),
    cart_url: fc.constantFrom("javascript:alert(1)", "", 42),
    timeout_seconds: fc.oneof(fc.double(), fc.integer({ min: -5, max: 60 }), text),
    other: anyJson,
  },
  { requiredKeys: [] },
);
const stubHttp = fc.oneof(
  fc.tuple(fc.oneof(fc.record({ products: fc.array(product, { maxLength: 5 }) }), anyJson), encoding, adminKey).map(([value, how, key]): FuzzRequest => ({
    server: "stub",
    method: "PUT",
    target: "/api/v1/catalog/products",
    headers: { "content-type": "application/json", ...(key === "" ? {} : { authorization: key }) },
    body: bodyBytes(value, how),
  })),
  fc.tuple(fc.oneof(fc.uuid(), queryValue), adminKey).map(([id, key]): FuzzRequest => ({
    server: "stub",
    method: "GET",
    target: `/api/v1/catalog/jobs/${id}`,
    headers: key === "" ? {} : { authorization: key },
  })),
  fc.tuple(webhooksPatch, encoding, adminKey, fc.constantFrom("PATCH", "GET", "DELETE")).map(([value, how, key, method]): FuzzRequest => ({
    server: "stub",
    method,
    target: "/api/v1/admin/webhooks",
    headers: { "content-type": "application/json", ...(key === "" ? {} : { authorization: key }) },
    ...(method === "GET" ? {} : { body: bodyBytes(value, how) }),
  })),
  fc.tuple(fc.constantFrom("/", "/api/v1", "/api/v1/ws/chat", "//x", "/%"), adminKey).map(([target, key]): FuzzRequest => ({
    server: "stub",
    method: "GET",
    target,
    headers: key === "" ? {} : { authorization: key },
  })),
);
const httpRequestArb = fc.oneof({ weight: 5, arbitrary: webhookPost }, { weight: 2, arbitrary: cartGet }, { weight: 2, arbitrary: storefront }, { weight: 2, arbitrary: stubHttp });

const chatFrame = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.oneof(fc.constantFrom("milk", "add 2 milk", "bread please", "remove it", "what is in my cart", "борщ"), text), fc.option(text)).map(([t, id]) => JSON.stringify({ type: "message", text: t, ...(id === null ? {} : { conversation_id: id }) })) },
  { weight: 2, arbitrary: fc.tuple(sku, quantity).map(([s, q]) => JSON.stringify({ type: "action", action: "add_to_cart", sku: s, quantity: q })) },
  fc.tuple(fc.constantFrom("quick_reply", "checklist_submit", "meal_plan_approve", "meal_plan_modify", "nope"), anyJson).map(([action, value]) => JSON.stringify({ type: "action", action, value, skus: value, text: value })),
  fc.constantFrom(JSON.stringify({ type: "ping" }), JSON.stringify({ type: "pong" }), JSON.stringify({ type: "auth", token: "pk_test_demo" }), "{", "[]", "null"),
  anyJson.map((value) => JSON.stringify(value) ?? "null"),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
);
const chatSession = fc.record({
  auth: fc.oneof({ weight: 6, arbitrary: fc.record({ type: fc.constant("auth"), token: fc.constant("pk_test_demo"), store_id: fc.constant("store-1"), user_id: fc.constantFrom("s1", "s2", "chat-user") }) }, fc.record({ type: fc.constant("auth"), token: fc.oneof(fc.constant("pk_nope"), text), store_id: storeId }), anyJson),
  frames: fc.array(chatFrame, { minLength: 20, maxLength: 60 }),
});

// ── sending ──────────────────────────────────────────────────────────────────

function send(base: string, request: FuzzRequest, agent: Agent): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  const headers: Record<string, string> = { ...request.headers };
  const body = request.body ?? Buffer.alloc(0);
  if (request.body !== undefined) headers["content-length"] = String(body.length);
  if (request.sign !== undefined && request.sign !== "none") {
    const now = Math.floor(Date.now() / 1000);
    const timestamp = request.sign === "stale" ? now - 400 : request.sign === "future" ? now + 400 : now;
    const signed = signWebhook({ secret: request.sign === "wrong-secret" ? "whsec_other" : SECRET, body, timestamp });
    Object.assign(headers, request.sign === "garbage" ? Object.fromEntries(Object.keys(signed).map((name) => [name, "v1=zz"])) : signed);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method: request.method, path: request.target, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface ChatOutcome {
  problems: string[];
  frames: number;
}

async function runChat(wsUrl: string, session: { auth: unknown; frames: Array<string | Buffer> }): Promise<ChatOutcome> {
  const ws = new WebSocket(wsUrl);
  const problems: string[] = [];
  let pongs = 0;
  const waiters: Array<() => void> = [];
  ws.on("message", (data, isBinary) => {
    const frame = isBinary ? undefined : (JSON.parse(String(data)) as { type?: string; code?: string });
    if (frame?.type === "error" && frame.code === "internal_error") problems.push(`internal_error frame: ${String(data).slice(0, 200)}`);
    if (frame?.type === "pong") pongs++;
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("error", () => undefined);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send(JSON.stringify(session.auth));
  let sent = 1;
  for (const frame of session.frames) {
    if (ws.readyState !== WebSocket.OPEN) break;
    ws.send(frame);
    sent++;
  }
  // A ping is answered at once, even mid-turn: once it is back, every frame before it was read.
  if (ws.readyState === WebSocket.OPEN) {
    const before = pongs;
    ws.send(JSON.stringify({ type: "ping" }));
    await Promise.race([closed, new Promise<void>((resolve) => {
      const check = () => (pongs > before ? resolve() : waiters.push(check));
      check();
    })]);
    ws.close(1000);
  }
  const code = await closed;
  // 4xxx: the protocol's own refusals; 1000/1005: closed by us; 1009: a frame over the 1 MB cap.
  if (!(code === 1000 || code === 1005 || code === 1009 || (code >= 4000 && code < 5000))) problems.push(`chat closed with ${code}`);
  return { problems, frames: sent };
}

// ── the run ──────────────────────────────────────────────────────────────────

let demo: DemoProcess;
let wsUrl: string;
beforeAll(async () => {
  demo = await spawnDemo({ VIZOCHOK_WEBHOOK_SECRET: SECRET });
  wsUrl = ((await (await fetch(`${demo.storeUrl}/demo/config.json`)).json()) as { wsUrl: string }).wsUrl;
}, 60_000);
afterAll(async () => {
  await demo.stop();
});

describe.each([
  ["fixed", FIXED_SEED],
  ["random", RANDOM_SEED],
])("fuzz, %s seed %i", (_kind, seed) => {
  it(`${HTTP_REQUESTS} HTTP requests and about ${CHAT_FRAMES} chat frames: no 5xx, no internal_error, the process keeps serving`, async () => {
    console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const requests = fc.sample(httpRequestArb, { seed, numRuns: HTTP_REQUESTS });
    const problems: string[] = [];
    let sent = 0;
    // Three lanes at once, each in order on its own connection: webhooks (one at a time, so two
    // identical signed deliveries are never in flight together), the other HTTP requests, and chat.
    const isWebhook = (request: FuzzRequest) => request.server === "store" && request.target.startsWith("/api/vizochok/");
    const httpLane = async (lane: FuzzRequest[]) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      for (const request of lane) {
        const answer = await send(request.server === "store" ? demo.storeUrl : demo.stubUrl, request, agent);
        sent++;
        if (answer.status >= 500) {
          problems.push(`${answer.status} for ${request.method} ${request.target.slice(0, 80)} ${request.body?.toString("utf8").slice(0, 200) ?? ""} → ${answer.body.slice(0, 200)}`);
        }
      }
      agent.destroy();
    };
    const chatLane = async () => {
      let frames = 0;
      for (const session of fc.sample(chatSession, { seed, numRuns: 1_000 })) {
        const outcome = await runChat(wsUrl, session);
        frames += outcome.frames;
        problems.push(...outcome.problems);
        if (frames >= CHAT_FRAMES) break;
      }
      sent += frames;
    };
    await Promise.all([httpLane(requests.filter(isWebhook)), httpLane(requests.filter((r) => !isWebhook(r))), chatLane()]);
    expect(problems.slice(0, 5), `seed ${seed}`).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(5_000);
    expect(demo.child.exitCode, demo.output().stderr).toBeNull();
    expect((await fetch(`${demo.storeUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${demo.stubUrl}/api/v1/admin/webhooks`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
  }, 120_000);
});

describe("the database after the fuzz", () => {
  it("passes integrity_check; reserved stock equals the cart lines; no line names an unknown SKU", () => {
    const db = new BetterSqlite3(demo.databasePath, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const mismatched = db
        .prepare(
          `SELECT s.store_id, s.sku, s.reserved_milli, COALESCE(SUM(l.quantity_milli), 0) AS in_carts
             FROM stock s
             LEFT JOIN carts c ON c.store_id = s.store_id
             LEFT JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = s.sku
            GROUP BY s.store_id, s.sku
           HAVING s.reserved_milli <> in_carts`,
        )
        .all();
      expect(mismatched).toEqual([]);
      const linesWithoutStock = db
        .prepare("SELECT l.sku FROM cart_lines l JOIN carts c USING (cart_id) LEFT JOIN stock s ON s.store_id = c.store_id AND s.sku = l.sku WHERE s.sku IS NULL")
        .all();
      expect(linesWithoutStock).toEqual([]);
      const unknown = db.prepare("SELECT sku FROM cart_lines WHERE sku NOT IN (SELECT sku FROM products)").all();
      expect(unknown).toEqual([]);
      // The fuzz reached the store: it holds carts and an audit trail of its decisions.
      expect(db.prepare("SELECT COUNT(*) FROM cart_lines").pluck().get()).toBeGreaterThan(0);
      expect(db.prepare("SELECT COUNT(*) FROM webhook_audit").pluck().get()).toBeGreaterThan(1_000);
    } finally {
      db.close();
    }
  });
});
