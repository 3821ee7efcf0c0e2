import { readWebBody } from "../read-body.js";
import { createWebhookCore, type CoreResponse, type WebhookKitOptions } from "../webhook-core.js";

export type WebWebhookHandler = (request: Request) => Promise<Response>;

/**
 * A Fetch API handler (`Request → Response`) for Next.js route handlers, Hono, Bun and Deno.
 * Paths are matched against the URL's pathname.
 *
 * @example
 * const handle = createWebWebhookHandler({ secret, handlers, paths: { products: "/api/vizochok/check-products" } });
 * export const POST = handle; // Next.js app router
 */
export function createWebWebhookHandler(options: WebhookKitOptions): WebWebhookHandler {
  const core = createWebhookCore(options);
  return async function vizochokWebHandler(request) {
    try {
      return await handleWebRequest(request);
    } catch {
      // The core already answers its own failures; this is a last line so a request never hangs.
      return toResponse(core.errorResponse("internal_error", "the webhook could not be handled"));
    }
  };

  async function handleWebRequest(request: Request): Promise<Response> {
    const receivedAt = core.now();
    const url = new URL(request.url);
    const matched = core.match(request.method, url.pathname, request.headers);
    if (matched.type === "unmatched") return toResponse(core.errorResponse("not_found", `no webhook at ${url.pathname}`));
    if (matched.type === "rejected") return toResponse(matched.response);
    let rawBody: Uint8Array = new Uint8Array(0);
    if (matched.readBody) {
      const read = await readWebBody(request, core.bodyLimit);
      if (!read.ok) {
        return toResponse(
          read.reason === "too_large"
            ? core.payloadTooLarge()
            : core.errorResponse("invalid_request", "the request body was not received completely"),
        );
      }
      rawBody = read.body;
    }
    return toResponse(
      await core.handle(matched.kind, {
        method: request.method,
        path: url.pathname,
        target: url.pathname + url.search,
        query: url.searchParams,
        headers: request.headers,
        rawBody,
        receivedAt,
      }),
    );
  }
}

function toResponse(answer: CoreResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
