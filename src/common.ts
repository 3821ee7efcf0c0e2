// What every entry point shares: signing and verification, the schemas, errors, the replay guard
// and the core. Nothing here imports a framework or a Node-only module.
export { WebhookError, WEBHOOK_ERROR_STATUS, type WebhookErrorBody, type WebhookErrorCode, type SignatureErrorCode } from "./errors.js";
export type { CompleteWebhookHandlers, DeliveryClaim, WebhookContext, WebhookHandlers, WebhookKind } from "./handlers.js";
export { consoleLogger, silentLogger, type WebhookLogger } from "./logger.js";
export { parseCartRequest, type ParsedCartRequest } from "./parse-cart-request.js";
export {
  DEFAULT_ABANDON_AFTER_MS,
  REDELIVERY_DELAY_MS,
  ReplayClaimLostError,
  createMemoryReplayGuard,
  judgeDelivery,
  type IdenticalRequestPolicy,
  type JudgeOptions,
  type MemoryReplayGuard,
  type MemoryReplayGuardOptions,
  type ReplayClaim,
  type ReplayDelivery,
  type ReplayGuard,
  type ReplayLookup,
  type ReplayRecord,
  type ReplayVerdict,
  type StoredAnswer,
} from "./replay-guard.js";
export {
  createRedisReplayGuard,
  type NodeRedisScriptClient,
  type RedisEvaluate,
  type RedisReplayGuardOptions,
} from "./redis-replay-guard.js";
export * from "./schemas.js";
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  signWebhookAsync,
  verifyWebhookSignature,
  verifyWebhookSignatureAsync,
  type GetSigningMode,
  type HeaderSource,
  type SignedHeaders,
  type SignWebhookOptions,
  type VerifyResult,
  type VerifyUsageErrorCode,
  type VerifyWebhookSignatureOptions,
} from "./signature.js";
export {
  DEFAULT_PATHS,
  createWebhookCore,
  type CoreRequest,
  type CoreResponse,
  type RouteMatch,
  type WebhookCore,
  type WebhookKitOptions,
  type WebhookPaths,
} from "./webhook-core.js";
