export { createWebhookRouter, captureRawBody, type ExpressLikeRequest, type RawBodyRequest, type WebhookMiddleware } from "./adapters/express.js";
export { createNodeWebhookHandler, type NodeWebhookHandler } from "./adapters/node.js";
export { createWebWebhookHandler, type WebWebhookHandler } from "./adapters/web.js";
export * from "./common.js";
