// `npm start`: the reference store, the VIZOCHOK stub pointed at it, and a demo storefront page
// that chats with the stub exactly like the widget does.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import express, { type Response } from "express";
import { silentLogger, type IdenticalRequestPolicy, type ProductInput, type WebhookLogger } from "vizochok-merchant-kit";
import {
  createScriptedAgent,
  type Recipe,
  createVizochokStub,
  generateWebhookSecret,
  type VizochokStub,
  type WebhookDelivery,
} from "vizochok-merchant-kit/testing";
import { WEBHOOK_MOUNT } from "./app.js";
import { createJsonLogger } from "./json-logger.js";
import { startStoreServer } from "./server.js";
import { loadWebhookSecret, redactWebhookSecret, type ResolvedWebhookSecret } from "./webhook-secret.js";

const here = dirname(fileURLToPath(import.meta.url));
const PUBLIC_DIR = resolve(here, "public");
const FIXTURES_DIR = resolve(here, "../fixtures");
const RECENT_DELIVERIES = 50;

export interface DemoOptions {
  /** The store's port (0 picks a free one). */
  port: number;
  /** The stub's port (0 picks a free one). */
  stubPort: number;
  /** Both servers listen here. Default `127.0.0.1`. */
  host?: string;
  /** SQLite file for the store (created and seeded on first start) or `:memory:`. */
  databasePath: string;
  /** The webhook secret both sides share. Default: a fresh `whsec_…`. */
  secret?: string;
  /**
   * Send the stub's webhooks to another backend instead of the reference store, e.g.
   * `https://shop.example.com/api/vizochok` (`/check-products`, `/cart`, `/cart/items` are added).
   */
  webhookBaseUrl?: string;
  /** The store's logger. Default: JSON lines on stdout, warnings and errors only. */
  logger?: WebhookLogger;
  /** One clock in epoch ms for both sides: the stub signs by it, the store judges by it. Default `Date.now`. */
  now?: () => number;
  /** The store's answer to a byte-identical cart POST within 1 s of the first: run it (default) or `409`. */
  identicalRequests?: IdenticalRequestPolicy;
}

export interface Demo {
  /** The storefront page, e.g. `http://localhost:3000/`. */
  storeUrl: string;
  /** Where the stub sends webhooks (`…/api/vizochok`). */
  webhookBaseUrl: string;
  /** The reference store's own webhooks (`…/api/vizochok`), wherever the stub points. */
  storeWebhookBaseUrl: string;
  stubUrl: string;
  wsUrl: string;
  publicKey: string;
  secretKey: string;
  storeId: string;
  secret: string;
  databasePath: string;
  stub: VizochokStub;
  /** Stops the stub, then the store; closes open connections and the database. */
  close(): Promise<void>;
}

/** One webhook call, as the page's log panel shows it. */
export interface DemoLogEntry {
  at: number;
  kind: string;
  method: string;
  status: number | null;
  latency_ms: number;
  attempt: number;
  summary: string;
}

export const DEMO_PUBLIC_KEY = "pk_test_demo";
export const DEMO_SECRET_KEY = "sk_test_demo";
export const DEMO_STORE_ID = "store-1";

interface CatalogFile {
  stores: Array<{ store_id: string; name: string }>;
  products: ProductInput[];
}

/**
 * Starts the demo: store (with the page and the demo endpoints) first, then the stub configured
 * with the store's webhook URLs.
 * @example
 * const demo = await startDemo({ port: 0, stubPort: 0, databasePath: ":memory:" });
 * console.log(demo.storeUrl);
 * await demo.close();
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const host = options.host ?? "127.0.0.1";
  const secret = options.secret ?? generateWebhookSecret();
  const catalog = JSON.parse(readFileSync(resolve(FIXTURES_DIR, "catalog.json"), "utf8")) as CatalogFile;
  const recipes = JSON.parse(readFileSync(resolve(FIXTURES_DIR, "recipes.json"), "utf8")) as Recipe[];
  const storeName = catalog.stores.find((s) => s.store_id === DEMO_STORE_ID)?.name ?? DEMO_STORE_ID;

  if (options.databasePath !== ":memory:") mkdirSync(dirname(resolve(options.databasePath)), { recursive: true });
  const log = createDeliveryLog();
  let stub: VizochokStub | undefined;
  let storeWebhookBase = "";

  const storeServer = await startStoreServer({
    port: options.port,
    host,
    databasePath: options.databasePath,
    secret,
    logger: options.logger ?? createJsonLogger({ level: "warn" }),
    ...(options.now !== undefined && { now: options.now }),
    ...(options.identicalRequests !== undefined && { identicalRequests: options.identicalRequests }),
    // The page's EventSource is never idle; shutdown ends it instead of waiting for it.
    shutdownTimeoutMs: 2_000,
    setup({ app }) {
      app.get("/demo/config.json", async (_req, res) => {
        // Read from the stub each time: `PATCH /api/v1/admin/webhooks` may have repointed it.
        const cartUrl = stub === undefined ? undefined : await currentCartUrl(stub);
        const webhooksHere = cartUrl === `${storeWebhookBase}/cart`;
        res.json({
          wsUrl: stub?.wsUrl,
          publicKey: DEMO_PUBLIC_KEY,
          storeId: DEMO_STORE_ID,
          storeName,
          // The page compares the assistant's cart with this store's only when the webhooks come here.
          storeCart: webhooksHere,
          webhookBaseUrl: cartUrl?.replace(/\/cart$/, "") ?? null,
        });
      });
      app.get("/demo/webhook-log", (req, res) => {
        log.subscribe(res);
        req.on("close", () => log.unsubscribe(res));
      });
      app.use(express.static(PUBLIC_DIR));
    },
  }).catch((error: unknown) => {
    throw listenError(error, options.port, host, "PORT", "the store and the page") ?? error;
  });
  const storeUrl = `http://${displayHost(host)}:${storeServer.port}`;
  storeWebhookBase = `http://${loopbackHost(host)}:${storeServer.port}${WEBHOOK_MOUNT}`;
  const webhookBaseUrl = options.webhookBaseUrl?.replace(/\/+$/, "") ?? storeWebhookBase;

  try {
    stub = await createVizochokStub({
      port: options.stubPort,
      host,
      ...(options.now !== undefined && { now: options.now }),
      agent: () => createScriptedAgent({ recipes }),
      onDelivery: (delivery) => log.publish(toLogEntry(delivery)),
      tenants: [
        {
          id: "demo",
          name: storeName,
          publicKey: DEMO_PUBLIC_KEY,
          secretKey: DEMO_SECRET_KEY,
          stores: [DEMO_STORE_ID],
          webhooks: {
            products_url: `${webhookBaseUrl}/check-products`,
            cart_url: `${webhookBaseUrl}/cart`,
            cart_get_url: `${webhookBaseUrl}/cart/items`,
            secret,
            timeout_seconds: 5,
          },
          catalog: catalog.products,
        },
      ],
    });
  } catch (error) {
    await storeServer.close();
    throw listenError(error, options.stubPort, host, "STUB_PORT", "the VIZOCHOK stub") ?? error;
  }
  const running = stub;

  let closing: Promise<void> | undefined;
  return {
    storeUrl: `${storeUrl}/`,
    webhookBaseUrl,
    storeWebhookBaseUrl: storeWebhookBase,
    stubUrl: running.url,
    wsUrl: running.wsUrl,
    publicKey: DEMO_PUBLIC_KEY,
    secretKey: DEMO_SECRET_KEY,
    storeId: DEMO_STORE_ID,
    secret,
    databasePath: options.databasePath,
    stub: running,
    close() {
      closing ??= (async () => {
        await running.close();
        log.close();
        await storeServer.close();
      })();
      return closing;
    },
  };
}

/**
 * The demo could not start for a reason the person starting it can fix: the message is one line
 * that says what to change, printed without a stack.
 */
export class DemoStartError extends Error {
  override name = "DemoStartError";
}

/** A port that is taken (or not allowed) becomes one line naming the port and the variable that moves it. */
function listenError(error: unknown, port: number, host: string, variable: "PORT" | "STUB_PORT", what: string): DemoStartError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const fix = `set ${variable} to another port, e.g. ${variable}=${port > 0 && port < 65_000 ? port + 100 : 3100} npm start (${variable}=0 picks a free one)`;
  if (code === "EADDRINUSE") return new DemoStartError(`Port ${port} is already in use (${where}), so ${what} cannot start: ${fix}.`);
  if (code === "EACCES") return new DemoStartError(`Port ${port} needs privileges this process does not have (${where}), so ${what} cannot start: ${fix}.`);
  return undefined;
}

/** `PORT` and `STUB_PORT`: a whole number from 0 to 65535, else one line saying so. */
export function portFromEnv(env: NodeJS.ProcessEnv, variable: "PORT" | "STUB_PORT", fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === "") return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65_535) {
    throw new DemoStartError(`${variable} must be a port number from 0 to 65535 (0 picks a free one), got "${raw}".`);
  }
  return port;
}

/** The cart webhook URL the stub calls now, from its own admin API. */
async function currentCartUrl(stub: VizochokStub): Promise<string | undefined> {
  try {
    const response = await fetch(`${stub.url}/api/v1/admin/webhooks`, { headers: { authorization: `Bearer ${DEMO_SECRET_KEY}` } });
    const body = (await response.json()) as { cart_url?: string | null };
    return body.cart_url ?? undefined;
  } catch {
    return undefined;
  }
}

/** What the log panel shows for one delivery: kind, status, latency and the store's answer. */
export function toLogEntry(delivery: WebhookDelivery): DemoLogEntry {
  return {
    at: delivery.at,
    kind: delivery.kind,
    method: delivery.request.method,
    status: delivery.response?.status ?? null,
    latency_ms: delivery.latencyMs,
    attempt: delivery.attempt,
    summary: summarize(delivery),
  };
}

function summarize(delivery: WebhookDelivery): string {
  const request = delivery.request.body as Record<string, unknown> | undefined;
  const answer = delivery.response?.body as Record<string, unknown> | undefined;
  if (delivery.outcome !== "ok") return [delivery.outcome, delivery.error].filter(Boolean).join(": ");
  switch (delivery.kind) {
    case "products": {
      const asked = Array.isArray(request?.skus) ? request.skus.length : 0;
      const products = Array.isArray(answer?.products) ? (answer.products as Array<{ in_stock?: boolean }>) : [];
      return `${asked} SKU(s) asked, ${products.filter((p) => p.in_stock).length} in stock`;
    }
    case "cart": {
      const what = [request?.action, request?.sku, request?.quantity].filter((v) => v !== undefined).join(" ");
      if (answer?.ok === true) return `${what} → ok`;
      return `${what} → ${String(answer?.reason)}`;
    }
    default: {
      const items = Array.isArray(answer?.items) ? answer.items.length : 0;
      return `${items} item(s) in the store's cart`;
    }
  }
}

/** Keeps the last deliveries and streams new ones to every open `EventSource`. */
function createDeliveryLog() {
  const recent: DemoLogEntry[] = [];
  const clients = new Set<Response>();
  const write = (res: Response, entry: DemoLogEntry) => res.write(`event: delivery\ndata: ${JSON.stringify(entry)}\n\n`);
  return {
    subscribe(res: Response) {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      for (const entry of recent) write(res, entry);
      clients.add(res);
    },
    unsubscribe(res: Response) {
      clients.delete(res);
    },
    publish(entry: DemoLogEntry) {
      recent.push(entry);
      if (recent.length > RECENT_DELIVERIES) recent.shift();
      for (const res of clients) write(res, entry);
    },
    close() {
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

const ANY_OR_LOOPBACK = new Set(["127.0.0.1", "::1", "0.0.0.0", "::", "localhost"]);

function displayHost(host: string): string {
  return ANY_OR_LOOPBACK.has(host) ? "localhost" : host;
}

/** An address the stub, in this same process, can reach the store on. */
function loopbackHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "localhost") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** A secret from the environment is shown redacted; a generated development one whole, with where it is kept. */
function describeSecret({ secret, source, file }: ResolvedWebhookSecret): string {
  switch (source) {
    case "env":
      return `${redactWebhookSecret(secret)}  (from VIZOCHOK_WEBHOOK_SECRET)`;
    case "memory":
      return `${secret}  (generated for this run, not kept: the database is in memory)`;
    default:
      return `${secret}  (generated for development, kept in ${resolve(file ?? "")})`;
  }
}

/** A `curl` that repoints the running stub's webhooks to `base`; it runs as printed. */
export function repointCommand(demo: Pick<Demo, "stubUrl" | "secretKey">, base: string): string[] {
  const body = JSON.stringify({ products_url: `${base}/check-products`, cart_url: `${base}/cart`, cart_get_url: `${base}/cart/items` });
  return [
    `    curl -X PATCH ${demo.stubUrl}/api/v1/admin/webhooks \\`,
    `      -H 'authorization: Bearer ${demo.secretKey}' -H 'content-type: application/json' \\`,
    `      -d '${body}'`,
  ];
}

function banner(demo: Demo, pointedElsewhere: boolean, secret: ResolvedWebhookSecret): string {
  const secretForCommand = secret.source === "env" ? "<your secret>" : secret.secret;
  return [
    "",
    "VIZOCHOK merchant kit — demo",
    "",
    `  Storefront + chat   ${demo.storeUrl}`,
    `  VIZOCHOK stub       ${demo.stubUrl}  (chat WebSocket ${demo.wsUrl})`,
    `  Demo key            ${demo.publicKey}  (store ${demo.storeId}; admin key ${demo.secretKey})`,
    `  Webhooks go to      ${demo.webhookBaseUrl}/{check-products,cart,cart/items}`,
    `  Webhook secret      ${describeSecret(secret)}`,
    `  Database            ${demo.databasePath === ":memory:" ? ":memory:" : resolve(demo.databasePath)}`,
    "",
    ...(pointedElsewhere
      ? [
          "  The stub calls your backend: the page shows the assistant's cart only (its store cart panel is off,",
          "  the webhooks go elsewhere); its catalog still reads the reference store.",
          "  To point the running stub back at the reference store (or at any backend, with its URLs):",
        ]
      : [
          "  To test your own backend (any language) instead: implement the three webhooks, then restart with",
          `    WEBHOOK_BASE_URL=http://127.0.0.1:8080/api/vizochok VIZOCHOK_WEBHOOK_SECRET=${secretForCommand} npm start`,
          "  or repoint the running stub (these are the reference store's URLs; put your backend's in their place):",
        ]),
    ...repointCommand(demo, demo.storeWebhookBaseUrl),
    "",
    "  Ctrl-C stops both servers.",
    "",
  ]
    .filter((line, index, lines) => line !== "" || lines[index - 1] !== "")
    .join("\n");
}

async function main(): Promise<void> {
  const env = process.env;
  const databasePath = env.DATABASE_PATH || "./data/store.db";
  // As in `npm run store`: the environment's secret, else one generated and kept beside the database.
  // The banner below says which, so the loader itself prints nothing.
  const secret = loadWebhookSecret({ env, databasePath, logger: silentLogger });
  const demo = await startDemo({
    port: portFromEnv(env, "PORT", 3000),
    stubPort: portFromEnv(env, "STUB_PORT", 3001),
    databasePath,
    secret: secret.secret,
    ...(env.HOST ? { host: env.HOST } : {}),
    ...(env.WEBHOOK_BASE_URL ? { webhookBaseUrl: env.WEBHOOK_BASE_URL } : {}),
  });
  console.log(banner(demo, Boolean(env.WEBHOOK_BASE_URL), secret));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Ctrl-C under `npm start` arrives more than once (the terminal signals the whole process
    // group, and npm and tsx each forward it), so later copies must not cut the shutdown short.
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the stub and the store…`);
    demo.close().then(
      () => {
        console.log("Stopped: the stub and the store are closed.");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof DemoStartError ? error.message : error);
    process.exit(1);
  });
}
