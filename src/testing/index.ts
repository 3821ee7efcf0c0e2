export * from "../contract/index.js";
export { createVizochokStub, type VizochokStub, type VizochokStubOptions } from "./stub.js";
export { DEFAULT_LIMITS, type TenantConfig, type TenantLimits, type WebhookSettings } from "./tenants.js";
export type { DeliveryKind, DeliveryOutcome, WebhookDelivery } from "./webhook-sender.js";
export type { CartOutcome, PriceCheck, ProductSearch, StatusCode, StubTools, ToolTarget } from "./tools.js";
export type { CartChange, CartEventName } from "./selection.js";
export { generateWebhookSecret } from "./webhook-secret.js";
export type {
  Agent,
  AgentConversation,
  AgentFactory,
  AgentInput,
  AgentReply,
  AgentTurn,
  ChecklistItem,
  ConversationTools,
  QuickReply,
} from "./agent.js";
export { createScriptedAgent, type Recipe, type ScriptedAgentOptions } from "./scripted-agent.js";
export type { ChatErrorCode, ServerFrame } from "./chat-frames.js";
export {
  WidgetClientError,
  createWidgetClient,
  type CartChangedEvent,
  type WidgetClient,
  type WidgetClientConfig,
  type WidgetError,
  type WidgetErrorCode,
} from "./widget-client.js";
export { FINAL_CLOSE_CODES, MAX_RECONNECT_ATTEMPTS, reconnectDelay } from "./reconnect.js";
export { toCyrillic, toLatin } from "./transliterate.js";
export type { Timers } from "./timers.js";
