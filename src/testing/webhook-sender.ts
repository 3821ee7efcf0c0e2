import type { z } from "zod";
import { signWebhook } from "../signature.js";
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
  post<T>(target: WebhookTarget, body: unknown, schema: z.ZodType<T>): Promise<SendResult<T>>;
  get<T>(target: WebhookTarget, query: Record<string, string>, schema: z.ZodType<T>): Promise<SendResult<T>>;
}

/**
 * Sends signed webhooks the way VIZOCHOK does: JSON, a per-tenant timeout, one retry after
 * `retryDelayMs` on a 5xx or a timeout, answers parsed with the kit's own schemas.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  let nextId = 1;

  async function attempt<T>(
    target: WebhookTarget,
    method: "GET" | "POST",
    url: string,
    rawBody: string,
    schema: z.ZodType<T>,
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

  async function exchange<T>(delivery: WebhookDelivery, target: WebhookTarget, schema: z.ZodType<T>): Promise<SendResult<T>> {
    const fail = (outcome: Exclude<DeliveryOutcome, "ok">, error?: string): SendResult<T> => {
      if (error !== undefined) delivery.error = error;
      return { ok: false, outcome };
    };
    const { method, url, headers, rawBody } = delivery.request;
    const problem = webhookUrlProblem(url, options.enforceProductionUrls);
    if (problem !== undefined) return fail("blocked_url", problem);

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), target.timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        headers,
        ...(method === "POST" ? { body: rawBody } : {}),
        signal: controller.signal,
        redirect: "manual",
      });
      const text = await response.text();
      delivery.response = { status: response.status, body: parseJson(text), rawBody: text };
      if (response.status >= 500) return fail("http_5xx");
      if (response.status !== 200) return fail("http_error");
      const parsed = schema.safeParse(delivery.response.body);
      if (!parsed.success) {
        return fail("invalid_answer", parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
      }
      return { ok: true, data: parsed.data };
    } catch (error) {
      if (controller.signal.aborted) return fail("timeout");
      const cause = (error as { cause?: unknown }).cause;
      return fail("network_error", String(cause ?? error));
    } finally {
      clearTimeout(timer);
    }
  }

  async function send<T>(target: WebhookTarget, method: "GET" | "POST", url: string, rawBody: string, schema: z.ZodType<T>): Promise<SendResult<T>> {
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
  };
}

/** The answer as JSON when it is JSON, else the text as it came. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
