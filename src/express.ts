// `vizochok-merchant-kit/express`: Express middleware. It imports nothing from Express, so its
// types need no `@types/express`.
export { captureRawBody, createWebhookRouter, type ExpressLikeRequest, type RawBodyRequest, type WebhookMiddleware } from "./adapters/express.js";
export * from "./common.js";
