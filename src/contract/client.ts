import { signWebhook } from "../signature.js";
import type { ResolvedContractConfig } from "./config.js";

export type WebhookTarget = "products" | "cart" | "cartGet";

/** One webhook call as the suite sends it. Everything but `target` has a correct default. */
export interface WebhookCall {
  target: WebhookTarget;
  /** JSON value (serialized once) or the exact bytes to send. Ignored for `cartGet`. */
  body?: unknown;
  query?: Record<string, string>;
  /** Sign with this secret instead of the configured one. */
  secret?: string;
  /** Unix seconds to sign with; default now. */
  timestamp?: number;
  /** Send without the two signature headers. */
  unsigned?: boolean;
  /** Change the body after signing (a man in the middle). */
  tamper?: (body: string) => string;
  /** Replace or add headers after signing. */
  headers?: Record<string, string>;
}

export interface WebhookReply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or `undefined` when it is not JSON. */
  json: unknown;
  latencyMs: number;
  /** What was sent, for failure messages: `POST /cart {"action":"add",…}`. */
  sent: string;
}

export interface ContractClientOptions {
  baseUrl: string;
  secret: string;
  paths: ResolvedContractConfig["paths"];
  /** Milliseconds before a call counts as unanswered. Default 10,000 (VIZOCHOK waits 5 s). */
  timeoutMs?: number;
  now?: () => number;
}

export interface ContractClient {
  readonly baseUrl: string;
  /** The clock requests are signed with, in milliseconds and in unix seconds. */
  now(): number;
  nowSeconds(): number;
  send(call: WebhookCall): Promise<WebhookReply>;
  /** The exact request a call would make, signed, without sending it (to send it twice). */
  prepare(call: WebhookCall): PreparedCall;
  deliver(prepared: PreparedCall): Promise<WebhookReply>;
}

export interface PreparedCall {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  sent: string;
}

/**
 * Signs and sends webhooks to a merchant's base URL with `fetch`, measuring latency.
 *
 * @example
 * const client = createContractClient({ baseUrl: "http://127.0.0.1:8080/api/vizochok", secret, paths });
 * const reply = await client.send({ target: "products", body: { skus: ["milk-001"], store_id: "store-1" } });
 */
export function createContractClient(options: ContractClientOptions): ContractClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;

  function prepare(call: WebhookCall): PreparedCall {
    const path = call.target === "cartGet" ? options.paths.cartGet : options.paths[call.target];
    if (path === null) throw new TypeError("the config says this backend has no cart GET webhook");
    const method = call.target === "cartGet" ? "GET" : "POST";
    const search = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`;
    const body =
      method === "GET" ? undefined : typeof call.body === "string" ? call.body : JSON.stringify(call.body ?? {});
    const signed = signWebhook({
      secret: call.secret ?? options.secret,
      timestamp: call.timestamp ?? Math.floor(now() / 1000),
      method,
      ...(body === undefined ? {} : { body }),
    });
    const headers: Record<string, string> = {
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
      ...(call.unsigned === true ? {} : signed),
      ...call.headers,
    };
    const sentBody = body === undefined || call.tamper === undefined ? body : call.tamper(body);
    return {
      method,
      url: `${baseUrl}${path}${search}`,
      headers,
      body: sentBody,
      sent: `${method} ${path}${search}${sentBody === undefined ? "" : ` ${abbreviate(sentBody) || "(empty body)"}`}`,
    };
  }

  async function deliver(prepared: PreparedCall): Promise<WebhookReply> {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(prepared.url, {
        method: prepared.method,
        headers: prepared.headers,
        ...(prepared.body === undefined ? {} : { body: prepared.body }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
    } catch (error) {
      throw new Error(`${prepared.sent} got no answer: ${describeFetchError(error, timeoutMs)}`);
    }
    const text = await response.text();
    const latencyMs = performance.now() - started;
    return { status: response.status, headers: response.headers, text, json: parseJson(text), latencyMs, sent: prepared.sent };
  }

  return { baseUrl, now, nowSeconds: () => Math.floor(now() / 1000), prepare, deliver, send: (call) => deliver(prepare(call)) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function abbreviate(text: string, limit = 160): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
