export * from "../contract/index.js";
export { createVizochokStub, type VizochokStub, type VizochokStubOptions } from "./stub.js";
export { DEFAULT_LIMITS, type TenantConfig, type TenantLimits, type WebhookSettings } from "./platform/tenants.js";
export type { DeliveryKind, DeliveryOutcome, WebhookDelivery } from "./platform/webhook-sender.js";
export type { CartOutcome, PriceCheck, ProductSearch, StatusCode, StubTools, ToolTarget } from "./agent/tools.js";
export type { CartChange, CartEventName } from "./chat/selection.js";
export { generateWebhookSecret } from "./platform/webhook-secret.js";
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
} from "./agent/agent.js";
export { createScriptedAgent, type Recipe, type ScriptedAgentOptions } from "./agent/scripted-agent.js";
export type { ChatErrorCode, ServerFrame } from "./chat/chat-frames.js";
export {
  WidgetClientError,
  createWidgetClient,
  type CartChangedEvent,
  type WidgetClient,
  type WidgetClientConfig,
  type WidgetError,
  type WidgetErrorCode,
} from "./client/widget-client.js";
export { FINAL_CLOSE_CODES, MAX_RECONNECT_ATTEMPTS, reconnectDelay } from "./client/reconnect.js";
export { toCyrillic, toLatin } from "./search/transliterate.js";
export type { Timers } from "./timers.js";
