import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type * as z from "zod/mini";
import { signWebhook } from "../../signature.js";
import { webhookUrlProblem } from "./url-policy.js";

export type DeliveryKind = "products" | "cart" | "cart_get";

/** How one attempt ended. Only `timeout` and `http_5xx` are retried. */
export type DeliveryOutcome = "ok" | "timeout" | "http_5xx" | "http_error" | "network_error" | "invalid_answer" | "blocked_url";

/** One HTTP attempt to a retailer's webhook, kept for assertions and the demo's log. */
export interface WebhookDelivery {
  id: number;
  tenantId: string;
  kind: DeliveryKind;
  /** 1 for the first try, 2 for the retry. */
  attempt: number;
  /** Epoch ms when the attempt started. */
  at: number;
  request: { method: "GET" | "POST"; url: string; headers: Record<string, string>; body: unknown; rawBody: string };
  /** Absent when no HTTP answer arrived (timeout, network error, blocked URL). */
  response?: { status: number; body: unknown; rawBody: string };
  latencyMs: number;
  outcome: DeliveryOutcome;
  /** Why the answer was refused, for `invalid_answer`, `network_error` and `blocked_url`. */
  error?: string;
}

export type SendResult<T> = { ok: true; data: T } | { ok: false; outcome: Exclude<DeliveryOutcome, "ok"> };

export interface WebhookTarget {
  tenantId: string;
  kind: DeliveryKind;
  url: string;
  secret: string;
  timeoutMs: number;
}

export interface WebhookSenderOptions {
  retryDelayMs: number;
  enforceProductionUrls: boolean;
  now: () => number;
  record: (delivery: WebhookDelivery) => void;
}

export interface WebhookSender {
  post<T>(target: WebhookTarget, body: unknown, schema: z.ZodMiniType<T>): Promise<SendResult<T>>;
  get<T>(target: WebhookTarget, query: Record<string, string>, schema: z.ZodMiniType<T>): Promise<SendResult<T>>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** Connections kept open per retailer host; beyond this, webhooks wait for a free one (within their timeout). */
const MAX_SOCKETS_PER_HOST = 64;

/**
 * Sends signed webhooks the way VIZOCHOK does: JSON, a per-tenant timeout, one retry after
 * `retryDelayMs` on a 5xx or a timeout, answers parsed with the kit's own schemas.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  let nextId = 1;
  // Keep-alive connections, reused most-recent-first so a few warm sockets carry the load.
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, scheduling: "lifo" as const };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);

  async function attempt<T>(
    target: WebhookTarget,
    method: "GET" | "POST",
    url: string,
    rawBody: string,
    schema: z.ZodMiniType<T>,
    number: number,
  ): Promise<SendResult<T>> {
    const at = options.now();
    const timestamp = Math.floor(at / 1000);
    const headers: Record<string, string> = {
      ...(method === "POST"
        ? { ...signWebhook({ secret: target.secret, timestamp, body: rawBody }), "content-type": "application/json" }
        : signWebhook({ secret: target.secret, timestamp, method })),
    };
    const started = performance.now();
    const delivery: WebhookDelivery = {
      id: nextId++,
      tenantId: target.tenantId,
      kind: target.kind,
      attempt: number,
      at,
      request: { method, url, headers, body: method === "POST" ? JSON.parse(rawBody) : undefined, rawBody },
      latencyMs: 0,
      outcome: "ok",
    };
    const result = await exchange(delivery, target, schema);
    delivery.latencyMs = Math.round((performance.now() - started) * 100) / 100;
    delivery.outcome = result.ok ? "ok" : result.outcome;
    options.record(delivery);
    return result;
  }

  async function exchange<T>(delivery: WebhookDelivery, target: WebhookTarget, schema: z.ZodMiniType<T>): Promise<SendResult<T>> {
    const fail = (outcome: Exclude<DeliveryOutcome, "ok">, error?: string): SendResult<T> => {
      if (error !== undefined) delivery.error = error;
      return { ok: false, outcome };
    };
    const { method, url, headers, rawBody } = delivery.request;
    const problem = webhookUrlProblem(url, options.enforceProductionUrls);
    if (problem !== undefined) return fail("blocked_url", problem);

    const deadline: Deadline = { expired: false };
    const timer = setTimeout(() => {
      deadline.expired = true;
      deadline.request?.destroy();
    }, target.timeoutMs);
    try {
      const response = await roundTrip(url, method, headers, rawBody, deadline);
      delivery.response = { status: response.status, body: parseJson(response.text), rawBody: response.text };
      if (response.status >= 500) return fail("http_5xx");
      if (response.status !== 200) return fail("http_error");
      const parsed = schema.safeParse(delivery.response.body);
      if (!parsed.success) {
        return fail("invalid_answer", parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
      }
      return { ok: true, data: parsed.data };
    } catch (error) {
      if (deadline.expired) return fail("timeout");
      return fail("network_error", String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** One HTTP exchange. A kept-alive socket the server closed while idle is replaced once, transparently. */
  async function roundTrip(url: string, method: "GET" | "POST", headers: Record<string, string>, rawBody: string, deadline: Deadline) {
    try {
      return await exchangeOnce(url, method, headers, rawBody, deadline);
    } catch (error) {
      if (!(error instanceof StaleSocketError) || deadline.expired) throw error;
      return exchangeOnce(url, method, headers, rawBody, deadline);
    }
  }

  function exchangeOnce(url: string, method: "GET" | "POST", headers: Record<string, string>, rawBody: string, deadline: Deadline) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const https = url.startsWith("https:");
      const body = method === "POST" ? Buffer.from(rawBody) : undefined;
      const request: ClientRequest = (https ? httpsRequest : httpRequest)(url, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-length": String(body.length) },
        agent: https ? httpsAgent : httpAgent,
      });
      deadline.request = request;
      let answered = false;
      request.on("response", (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
        response.on("close", () => {
          if (!response.complete) reject(new Error("the connection closed before the answer was complete"));
        });
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && !answered && (error.code === "ECONNRESET" || error.code === "EPIPE");
        reject(stale ? new StaleSocketError(error.message) : error);
      });
      request.end(body);
    });
  }

  async function send<T>(target: WebhookTarget, method: "GET" | "POST", url: string, rawBody: string, schema: z.ZodMiniType<T>): Promise<SendResult<T>> {
    const first = await attempt(target, method, url, rawBody, schema, 1);
    if (first.ok || (first.outcome !== "timeout" && first.outcome !== "http_5xx")) return first;
    await new Promise<void>((resolve) => setTimeout(resolve, options.retryDelayMs));
    return attempt(target, method, url, rawBody, schema, 2);
  }

  return {
    post(target, body, schema) {
      return send(target, "POST", target.url, JSON.stringify(body), schema);
    },
    get(target, query, schema) {
      const url = new URL(target.url);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      return send(target, "GET", url.toString(), "", schema);
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

class StaleSocketError extends Error {}

/** Set when the webhook's timeout passes; the request in flight is destroyed. */
interface Deadline {
  expired: boolean;
  request?: ClientRequest;
}

/** The answer as JSON when it is JSON, else the text as it came. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
