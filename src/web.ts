// `vizochok-merchant-kit/web`: the Fetch API handler (`Request → Response`) for Next.js, Hono,
// Bun, Deno and Cloudflare Workers, with signing and verification that run on Web Crypto where
// node:crypto is absent. It loads nothing Node-specific.
export { createWebWebhookHandler, type WebWebhookHandler } from "./adapters/web.js";
export * from "./common.js";
