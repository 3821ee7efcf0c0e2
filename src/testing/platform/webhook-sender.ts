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

  // What the URL policy and `http.request` need from a webhook URL, worked out once per URL (a
  // tenant's few URLs recur on every delivery); cart GETs look up their base URL.
  const parsedUrls = new Map<string, ParsedUrl>();
  function parseUrl(url: string): ParsedUrl {
    let parsed = parsedUrls.get(url);
    if (parsed === undefined) {
      const problem = webhookUrlProblem(url, options.enforceProductionUrls);
      parsed = problem === undefined ? { problem, ...requestOptions(new URL(url)) } : { problem };
      if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
      parsedUrls.set(url, parsed);
    }
    return parsed;
  }

  async function attempt<T>(target: WebhookTarget, request: OutgoingRequest, schema: z.ZodMiniType<T>, number: number): Promise<SendResult<T>> {
    const { method, rawBody } = request;
    const at = options.now();
    const timestamp = Math.floor(at / 1000);
    const signed = method === "POST" ? signWebhook({ secret: target.secret, timestamp, body: rawBody }) : signWebhook({ secret: target.secret, timestamp, method });
    const headers: Record<string, string> = method === "POST" ? { ...signed, "content-type": "application/json" } : { ...signed };
    const started = performance.now();
    const delivery: WebhookDelivery = {
      id: nextId++,
      tenantId: target.tenantId,
      kind: target.kind,
      attempt: number,
      at,
      request: {
        method,
        url: request.url,
        headers,
        // The body as sent, parsed only when someone reads the record.
        get body() {
          return request.parsedBody();
        },
        rawBody,
      },
      latencyMs: 0,
      outcome: "ok",
    };
    const result = await exchange(delivery, request, target, schema);
    delivery.latencyMs = Math.round((performance.now() - started) * 100) / 100;
    delivery.outcome = result.ok ? "ok" : result.outcome;
    options.record(delivery);
    return result;
  }

  async function exchange<T>(delivery: WebhookDelivery, request: OutgoingRequest, target: WebhookTarget, schema: z.ZodMiniType<T>): Promise<SendResult<T>> {
    const fail = (outcome: Exclude<DeliveryOutcome, "ok">, error?: string): SendResult<T> => {
      if (error !== undefined) delivery.error = error;
      return { ok: false, outcome };
    };
    const { method, headers, rawBody } = delivery.request;
    const { destination } = request;
    if (destination.problem !== undefined) return fail("blocked_url", destination.problem);

    const deadline: Deadline = { expired: false };
    const timer = setTimeout(() => {
      deadline.expired = true;
      deadline.request?.destroy();
    }, target.timeoutMs);
    try {
      const response = await roundTrip(destination, request.path, method, headers, rawBody, deadline);
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
  async function roundTrip(destination: Reachable, path: string, method: "GET" | "POST", headers: Record<string, string>, rawBody: string, deadline: Deadline) {
    try {
      return await exchangeOnce(destination, path, method, headers, rawBody, deadline);
    } catch (error) {
      if (!(error instanceof StaleSocketError) || deadline.expired) throw error;
      return exchangeOnce(destination, path, method, headers, rawBody, deadline);
    }
  }

  function exchangeOnce(destination: Reachable, path: string, method: "GET" | "POST", headers: Record<string, string>, rawBody: string, deadline: Deadline) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { https, hostname, port, auth } = destination;
      const body = method === "POST" ? Buffer.from(rawBody) : undefined;
      // Host, port and path as options: `http.request` then parses no URL of its own.
      const request: ClientRequest = (https ? httpsRequest : httpRequest)({
        protocol: https ? "https:" : "http:",
        hostname,
        port,
        path,
        ...(auth !== undefined && { auth }),
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

  async function send<T>(target: WebhookTarget, request: OutgoingRequest, schema: z.ZodMiniType<T>): Promise<SendResult<T>> {
    const first = await attempt(target, request, schema, 1);
    if (first.ok || (first.outcome !== "timeout" && first.outcome !== "http_5xx")) return first;
    await new Promise<void>((resolve) => setTimeout(resolve, options.retryDelayMs));
    return attempt(target, request, schema, 2);
  }

  return {
    post(target, body, schema) {
      const destination = parseUrl(target.url);
      const rawBody = JSON.stringify(body);
      let parsed: unknown;
      const parsedBody = () => (parsed ??= JSON.parse(rawBody));
      const path = destination.problem === undefined ? destination.path : "";
      return send(target, { method: "POST", url: target.url, destination, path, rawBody, parsedBody }, schema);
    },
    get(target, query, schema) {
      const destination = parseUrl(target.url);
      const url = new URL(target.url);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      const path = `${url.pathname}${url.search}`;
      return send(target, { method: "GET", url: url.toString(), destination, path, rawBody: "", parsedBody: () => undefined }, schema);
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

class StaleSocketError extends Error {}

/** Distinct URLs whose parse is kept; past this the cache starts over. */
const MAX_PARSED_URLS = 1000;

interface Reachable {
  problem: undefined;
  https: boolean;
  hostname: string;
  port: number;
  /** Path and query of the URL itself. */
  path: string;
  /** `user:password` from the URL, as `http.request` takes it from a URL string. */
  auth?: string;
}

/** A webhook URL as the sender uses it: why it is refused, or where to connect. */
type ParsedUrl = Reachable | { problem: string };

/** One delivery, the same for its retry. */
interface OutgoingRequest {
  method: "GET" | "POST";
  /** The URL as recorded (a cart GET's with its query). */
  url: string;
  destination: ParsedUrl;
  /** Path and query as sent. */
  path: string;
  rawBody: string;
  parsedBody(): unknown;
}

function requestOptions(url: URL): Omit<Reachable, "problem"> {
  const https = url.protocol === "https:";
  // An IPv6 literal keeps its brackets in `hostname`; the socket wants the bare address.
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
  const auth = url.username === "" && url.password === "" ? {} : { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` };
  return { https, hostname, port, path: `${url.pathname}${url.search}`, ...auth };
}

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
