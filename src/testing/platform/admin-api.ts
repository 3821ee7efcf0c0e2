import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { ProductInput, type Product } from "../../schemas.js";
import type { SearchIndex } from "../search/search-index.js";
import type { Tenant, TenantRegistry } from "./tenants.js";
import { webhookUrlProblem } from "./url-policy.js";

/** A catalog upsert job, as `GET /api/v1/catalog/jobs/{id}` returns it. */
export interface CatalogJob {
  job_id: string;
  tenant_id: string;
  status: "pending" | "embedding" | "complete" | "failed";
  total: number;
  embedded: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: Array<{ index: number; sku?: string; message: string }>;
  started_at: string;
  completed_at: string | null;
}

export interface AdminApiOptions {
  tenants: TenantRegistry;
  index: SearchIndex;
  enforceProductionUrls: boolean;
  now: () => number;
}

const BODY_LIMIT = 10 * 1024 * 1024;

const WebhooksPatch = z
  .object({
    products_url: z.string().min(1),
    cart_url: z.string().min(1).nullable(),
    cart_get_url: z.string().min(1).nullable(),
    secret: z.string().min(1),
    timeout_seconds: z.number().positive().max(30),
  })
  .partial()
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The catalog and admin endpoints, authenticated with the tenant's `sk_` key:
 * `PUT /api/v1/catalog/products`, `GET /api/v1/catalog/jobs/{id}`, `GET`/`PATCH /api/v1/admin/webhooks`.
 * Jobs complete before the answer is sent; the stub has no embedding step to wait for.
 */
export function createAdminApi(options: AdminApiOptions) {
  const jobs = new Map<string, CatalogJob>();

  async function route(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    // The key first: nothing else about the request is looked at for a caller without one.
    const tenant = authenticate(request);
    const path = pathOf(request.url);
    const known = path === "/api/v1/catalog/products" || path === "/api/v1/admin/webhooks" || path.startsWith("/api/v1/catalog/jobs/");
    if (!known) throw new HttpError(404, "not_found", `no route for ${printable(path)}`);
    if (path === "/api/v1/catalog/products") {
      if (request.method !== "PUT") throw new HttpError(405, "method_not_allowed", "use PUT");
      return { status: 202, body: upsertCatalog(tenant, await readJson(request)) };
    }
    if (path.startsWith("/api/v1/catalog/jobs/")) {
      if (request.method !== "GET") throw new HttpError(405, "method_not_allowed", "use GET");
      const job = jobs.get(decodePathSegment(path.slice("/api/v1/catalog/jobs/".length)));
      // Another tenant's job is as unknown as a made-up id.
      if (job === undefined || job.tenant_id !== tenant.id) throw new HttpError(404, "not_found", "no such job");
      return { status: 200, body: job };
    }
    if (request.method === "GET") return { status: 200, body: webhookView(tenant) };
    if (request.method === "PATCH") return { status: 200, body: patchWebhooks(tenant, await readJson(request)) };
    throw new HttpError(405, "method_not_allowed", "use GET or PATCH");
  }

  function authenticate(request: IncomingMessage): Tenant {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
    if (match === null) throw new HttpError(401, "unauthorized", "Authorization: Bearer sk_… is required");
    const tenant = match[1]!.startsWith("sk_") ? options.tenants.bySecretKey(match[1]!) : undefined;
    if (tenant === undefined) throw new HttpError(401, "unauthorized", "unknown secret key");
    return tenant;
  }

  function upsertCatalog(tenant: Tenant, body: unknown) {
    const products = (body as { products?: unknown } | undefined)?.products;
    if (!Array.isArray(products)) throw new HttpError(400, "invalid_request", 'body must be {"products": [...]}');
    const startedAt = new Date(options.now()).toISOString();
    const job: CatalogJob = {
      job_id: randomUUID(),
      tenant_id: tenant.id,
      status: "complete",
      total: products.length,
      embedded: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      errors: [],
      started_at: startedAt,
      completed_at: startedAt,
    };
    const changed: Product[] = [];
    products.forEach((input, index) => {
      const parsed = ProductInput.safeParse(input);
      if (!parsed.success) {
        const sku = (input as { sku?: unknown } | null)?.sku;
        job.errors.push({ index, ...(typeof sku === "string" ? { sku } : {}), message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        return;
      }
      const previous = tenant.catalog.get(parsed.data.sku);
      if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(parsed.data)) {
        job.unchanged++;
        return;
      }
      if (previous === undefined) job.created++;
      else job.updated++;
      tenant.catalog.set(parsed.data.sku, parsed.data);
      changed.push(parsed.data);
    });
    options.index.upsert(tenant.id, changed);
    job.embedded = changed.length;
    if (job.errors.length === products.length && products.length > 0) job.status = "failed";
    jobs.set(job.job_id, job);
    return { job_id: job.job_id, total: job.total, to_embed: changed.length, unchanged: job.unchanged, status: "accepted" };
  }

  function webhookView(tenant: Tenant) {
    const { products_url, cart_url, cart_get_url, timeout_seconds } = tenant.webhooks;
    return { products_url, cart_url: cart_url ?? null, cart_get_url: cart_get_url ?? null, has_secret: tenant.webhooks.secret.length > 0, timeout_seconds };
  }

  function patchWebhooks(tenant: Tenant, body: unknown) {
    const parsed = WebhooksPatch.safeParse(body);
    if (!parsed.success) throw new HttpError(400, "invalid_request", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const patch = parsed.data;
    for (const key of ["products_url", "cart_url", "cart_get_url"] as const) {
      const value = patch[key];
      const problem = typeof value === "string" ? webhookUrlProblem(value, options.enforceProductionUrls) : undefined;
      if (problem !== undefined) throw new HttpError(400, "invalid_url", `${key}: ${problem}`);
    }
    const next = { ...tenant.webhooks };
    if (patch.products_url !== undefined) next.products_url = patch.products_url;
    for (const key of ["cart_url", "cart_get_url"] as const) {
      const value = patch[key];
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    if (patch.secret !== undefined) next.secret = patch.secret;
    if (patch.timeout_seconds !== undefined) next.timeout_seconds = patch.timeout_seconds;
    tenant.webhooks = next;
    return { ok: true, has_secret: true };
  }

  return async function adminApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await route(request));
    } catch (error) {
      const known = error instanceof HttpError;
      status = known ? error.status : 500;
      body = { error: known ? error.code : "internal_error", message: known ? error.message : "unexpected failure" };
    }
    const text = JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    response.end(text);
  };
}

/** The path of a request target, taken as sent: no URL parsing, so no target can make it throw. */
export function pathOf(target: string | undefined): string {
  const path = target ?? "/";
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "invalid_request", "the job id is not valid percent-encoding");
  }
}

/** A path shortened for an error message. */
function printable(path: string): string {
  return path.length > 100 ? `${path.slice(0, 100)}…` : path;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > BODY_LIMIT) throw new HttpError(413, "payload_too_large", "body is too large");
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "invalid_request", "the request body was not received completely");
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_json", "body is not JSON");
  }
}
