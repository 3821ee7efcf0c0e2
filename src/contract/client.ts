import { createHmac } from "node:crypto";
import { signWebhook } from "../signature.js";
import type { ResolvedContractConfig } from "./config.js";
import { ContractViolation } from "./contract-case.js";
import { createTransport, NoAnswer, type NoAnswerKind } from "./transport.js";

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
  /** Replace or add headers after signing; an array sends the header once per element. */
  headers?: Record<string, string | string[]>;
  /** Sign these bytes instead of `"{timestamp}.{body}"` (to forge a wrongly built signature). */
  signOver?: (timestamp: string, body: string) => string;
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

/** What `createContractClient` takes. */
export interface ContractClientOptions {
  /** Where the webhook paths are appended, e.g. `http://127.0.0.1:8080/api/vizochok`. */
  baseUrl: string;
  /** The secret every request is signed with: the backend's `VIZOCHOK_WEBHOOK_SECRET`. */
  secret: string;
  /** The webhook paths under `baseUrl` (`cartGet: null`: none). */
  paths: ResolvedContractConfig["paths"];
  /** Milliseconds before a call counts as unanswered. Default 5,000: VIZOCHOK's own budget. */
  timeoutMs?: number;
  /** The clock requests are signed with, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

export interface ContractClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** The clock requests are signed with, in milliseconds and in unix seconds. */
  now(): number;
  nowSeconds(): number;
  send(call: WebhookCall): Promise<WebhookReply>;
  /** The exact request a call would make, signed, without sending it (to send it twice). */
  prepare(call: WebhookCall): PreparedCall;
  deliver(prepared: PreparedCall): Promise<WebhookReply>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

export interface PreparedCall {
  target: WebhookTarget;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string | string[]>;
  body: string | undefined;
  sent: string;
}

/** After this many timeouts in a row on one webhook, the suite stops waiting for it. */
export const TIMEOUTS_BEFORE_GIVING_UP = 2;

/**
 * A call that got no answer. `kind` says why; the message names the request, and for a
 * timeout says what VIZOCHOK would do.
 */
export class NoAnswerViolation extends ContractViolation {
  constructor(
    message: string,
    readonly kind: NoAnswerKind | "given-up",
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Signs and sends webhooks to a merchant's base URL, measuring latency. Every call is bounded
 * by `timeoutMs`; once one webhook has left `TIMEOUTS_BEFORE_GIVING_UP` calls in a row
 * unanswered, further calls to it fail at once, so a hung backend fails the run in seconds.
 *
 * @example
 * const client = createContractClient({ baseUrl: "http://127.0.0.1:8080/api/vizochok", secret, paths });
 * const reply = await client.send({ target: "products", body: { skus: ["milk-001"], store_id: "store-1" } });
 */
export function createContractClient(options: ContractClientOptions): ContractClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const transport = createTransport();
  const timeoutsInARow: Record<WebhookTarget, number> = { products: 0, cart: 0, cartGet: 0 };
  const budget = formatSeconds(timeoutMs);
  const endpoint = describeEndpoint(baseUrl);

  function prepare(call: WebhookCall): PreparedCall {
    const path = call.target === "cartGet" ? options.paths.cartGet : options.paths[call.target];
    if (path === null) throw new TypeError("the config says this backend has no cart GET webhook");
    const method = call.target === "cartGet" ? "GET" : "POST";
    const search = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`;
    const body =
      method === "GET" ? undefined : typeof call.body === "string" ? call.body : JSON.stringify(call.body ?? {});
    const secret = call.secret ?? options.secret;
    const timestamp = call.timestamp ?? Math.floor(now() / 1000);
    const signed = signWebhook({ secret, timestamp, method, ...(body === undefined ? {} : { body }) });
    if (call.signOver !== undefined) {
      signed["X-VIZOCHOK-Signature"] = `sha256=${createHmac("sha256", secret).update(call.signOver(String(timestamp), body ?? "")).digest("hex")}`;
    }
    const headers: Record<string, string | string[]> = {
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
      ...(call.unsigned === true ? {} : signed),
      ...call.headers,
    };
    const sentBody = body === undefined || call.tamper === undefined ? body : call.tamper(body);
    return {
      target: call.target,
      method,
      url: `${baseUrl}${path}${search}`,
      headers,
      body: sentBody,
      sent: `${method} ${path}${search}${sentBody === undefined ? "" : ` ${abbreviate(sentBody) || "(empty body)"}`}`,
    };
  }

  async function deliver(prepared: PreparedCall): Promise<WebhookReply> {
    if (timeoutsInARow[prepared.target] >= TIMEOUTS_BEFORE_GIVING_UP) {
      throw new NoAnswerViolation(
        `${prepared.sent} was not sent: this webhook left its last ${timeoutsInARow[prepared.target]} requests unanswered for ${budget}; ` +
          `VIZOCHOK would time out and retry: answer within ${budget}`,
        "given-up",
        "timeout",
      );
    }
    try {
      const answer = await transport.send({ method: prepared.method, url: prepared.url, headers: prepared.headers, body: prepared.body, timeoutMs });
      timeoutsInARow[prepared.target] = 0;
      return { ...answer, json: parseJson(answer.text), sent: prepared.sent };
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      if (error.kind === "timeout") {
        timeoutsInARow[prepared.target]++;
        throw new NoAnswerViolation(`${prepared.sent} got no answer within ${budget}: VIZOCHOK would time out and retry: answer within ${budget}`, "timeout", error.code);
      }
      if (error.kind === "unreachable") {
        const why = error.code === "timeout" ? `no connection within ${budget}` : error.code;
        throw new NoAnswerViolation(`${prepared.sent} got no answer: cannot reach ${endpoint} (${why})`, "unreachable", error.code);
      }
      throw new NoAnswerViolation(`${prepared.sent} got no answer: the server closed the connection (${error.code})`, "closed", error.code);
    }
  }

  return {
    baseUrl,
    timeoutMs,
    now,
    nowSeconds: () => Math.floor(now() / 1000),
    prepare,
    deliver,
    send: (call) => deliver(prepare(call)),
    close: () => transport.close(),
  };
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

/** `5 s`, `0.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** `shop.example.com:443`, `127.0.0.1:8080`: what "cannot reach" names. */
export function describeEndpoint(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}
