import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdminApi, pathOf } from "./platform/admin-api.js";
import type { Agent, AgentFactory } from "./agent/agent.js";
import { CHAT_PATH, createChatServer } from "./chat/chat-server.js";
import { createConversationStore } from "./chat/conversations.js";
import { createScriptedAgent } from "./agent/scripted-agent.js";
import { createSearchIndex } from "./search/search-index.js";
import { createSelectionStore } from "./chat/selection.js";
import { createTenantRegistry, type Tenant, type TenantConfig } from "./platform/tenants.js";
import { realTimers, type Timers } from "./timers.js";
import { createStubTools, type StubTools } from "./agent/tools.js";
import { createWebhookSender, type WebhookDelivery } from "./platform/webhook-sender.js";

/** What `createVizochokStub` takes. */
export interface VizochokStubOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** The retailers the stub serves: keys, stores, webhooks, catalog. At least one. */
  tenants: TenantConfig[];
  /** Clock in epoch ms for signatures, limits and the session TTL. Default `Date.now`. */
  now?: () => number;
  /** Timers for the 10 s auth deadline, the heartbeat and the agent timeout. Default: real timers. */
  timers?: Timers;
  /** Default 10,000 ms. */
  authTimeoutMs?: number;
  /** The server sends `{"type":"ping"}` after this long without a frame from the client. Default 30,000 ms. */
  heartbeatIntervalMs?: number;
  /** A ping unanswered by `pong` for this long closes the connection with 1001. Default 60,000 ms. */
  pongTimeoutMs?: number;
  /** Pause before the one retry of a webhook. Default 1,000 ms. */
  retryDelayMs?: number;
  /** Apply VIZOCHOK's production rule to webhook URLs (HTTPS, no private or loopback). Default false. */
  enforceProductionUrls?: boolean;
  /** The agent, or a factory building one per tenant. Default: the scripted agent without recipes. */
  agent?: Agent | AgentFactory;
  /** Called after every webhook attempt. */
  onDelivery?: (delivery: WebhookDelivery) => void;
  /** Deliveries kept in `deliveries`, oldest dropped first. Default 10,000. */
  maxDeliveries?: number;
  /**
   * How long an HTTP client may take to send its request head (default 10 s) and the whole request
   * (default 30 s, room for a 10 MB catalog upload), and how long an idle keep-alive connection
   * stays (default 5 s). An open chat WebSocket is not affected.
   */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
}

export interface VizochokStub {
  /** `http://host:port` — the catalog and admin API. */
  url: string;
  /** `ws://host:port/api/v1/ws/chat`. */
  wsUrl: string;
  port: number;
  /** Every webhook attempt so far, oldest first. */
  deliveries: WebhookDelivery[];
  /** The agent's tools for one tenant, callable directly from tests. */
  tools(tenantId: string): StubTools;
  close(): Promise<void>;
}

/**
 * VIZOCHOK's side in-process: chat WebSocket, signed webhooks, catalog and admin API, hybrid
 * search and a scripted agent, for one or more isolated tenants.
 *
 * @example
 * const stub = await createVizochokStub({
 *   tenants: [{
 *     id: "shop", publicKey: "pk_test_shop", secretKey: "sk_test_shop", stores: ["store-1"],
 *     webhooks: { products_url: "http://127.0.0.1:3000/api/vizochok/check-products", secret },
 *     catalog: products,
 *   }],
 * });
 * const client = createWidgetClient({ url: stub.wsUrl, publicKey: "pk_test_shop", storeId: "store-1", userId: "u1" });
 */
export async function createVizochokStub(options: VizochokStubOptions): Promise<VizochokStub> {
  const now = options.now ?? Date.now;
  const enforceProductionUrls = options.enforceProductionUrls ?? false;
  const maxDeliveries = options.maxDeliveries ?? 10_000;
  const tenants = createTenantRegistry(options.tenants, enforceProductionUrls);
  const index = createSearchIndex();
  for (const tenant of tenants.all()) index.upsert(tenant.id, [...tenant.catalog.values()]);
  const deliveries: WebhookDelivery[] = [];
  const sender = createWebhookSender({
    retryDelayMs: options.retryDelayMs ?? 1000,
    enforceProductionUrls,
    now,
    record(delivery) {
      deliveries.push(delivery);
      if (deliveries.length > maxDeliveries) deliveries.shift();
      options.onDelivery?.(delivery);
    },
  });
  const selections = createSelectionStore();
  const agents = new Map<string, Agent>();
  const agentOption = options.agent ?? createScriptedAgent();
  const agentFor = (tenant: Tenant): Agent => {
    let agent = agents.get(tenant.id);
    if (agent === undefined) {
      agent = typeof agentOption === "function" ? agentOption({ id: tenant.id, name: tenant.name }) : agentOption;
      agents.set(tenant.id, agent);
    }
    return agent;
  };
  const toolsFor = (tenant: Tenant, hooks = {}) => createStubTools({ tenant, index, sender, selections }, hooks);
  const chat = createChatServer({
    tenants,
    conversations: createConversationStore(now),
    toolsFor,
    agentFor,
    now,
    timers: options.timers ?? realTimers,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 60_000,
  });
  const adminApi = createAdminApi({ tenants, index, enforceProductionUrls, now });

  const headersTimeout = options.timeouts?.headersMs ?? 10_000;
  const requestTimeout = options.timeouts?.requestMs ?? 30_000;
  const serverOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.timeouts?.keepAliveMs ?? 5_000,
    // Node enforces the two limits above on this interval (default 30 s).
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))),
  };
  const server: Server = createServer(serverOptions, (request, response) => void adminApi(request, response));
  server.on("upgrade", function upgrade(request, socket, head) {
    // Nothing a client sends may throw out of here: an exception in an `upgrade` listener ends the process.
    try {
      if (pathOf(request.url) !== CHAT_PATH) {
        socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      chat.handleUpgrade(request, socket, head);
    } catch {
      socket.destroy();
    }
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}${CHAT_PATH}`,
    port,
    deliveries,
    tools(tenantId) {
      const tenant = tenants.get(tenantId);
      if (tenant === undefined) throw new TypeError(`unknown tenant ${tenantId}`);
      return toolsFor(tenant);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        chat.close();
        server.close(() => {
          index.close();
          sender.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
