import type { WebhookKind } from "../handlers.js";
import { redactSignature, type WebhookLogger } from "../logger.js";
import type { ReplayGuard, StoredAnswer } from "../replay-guard.js";
import { errorResponse, JSON_HEADERS, type CoreResponse } from "./responses.js";
import { serializeError } from "./serialize-error.js";
import type { VerifiedDelivery } from "./verification.js";

export interface ReplayStageOptions {
  /** `undefined`: the guard is off and every delivery runs. */
  guard: ReplayGuard | undefined;
  toleranceSeconds: number;
  now: () => number;
  logger: WebhookLogger;
  /** How long to wait between looks at a delivery another request is handling. */
  pollMs?: number;
}

/** One verified delivery as the replay stage sees it. */
export interface Delivery extends VerifiedDelivery {
  kind: WebhookKind;
  /** The path it was sent to: a signature is good for one endpoint only. */
  path: string;
  requestId: string;
  /** Epoch ms by which an answer is due. */
  deadline: number;
}

export type ReplayStage = (delivery: Delivery, run: () => CoreResponse | Promise<CoreResponse>) => CoreResponse | Promise<CoreResponse>;

/**
 * Replay: a POST delivery runs once. An exact re-delivery gets the stored answer again, a copy
 * that arrives while the first is still running waits for it (until the deadline), and the same
 * signature on another path is refused.
 */
export function createReplayStage(options: ReplayStageOptions): ReplayStage {
  const { guard, toleranceSeconds, now, logger } = options;
  const pollMs = options.pollMs ?? 20;

  return function guarded(delivery, run) {
    if (guard === undefined || delivery.kind === "cart_get") return run();
    return runOnce(guard, delivery, run);
  };

  async function runOnce(guard: ReplayGuard, delivery: Delivery, run: () => CoreResponse | Promise<CoreResponse>): Promise<CoreResponse> {
    const key = `${delivery.timestamp}.${delivery.signature}`;
    const expiresAt = (delivery.timestamp + toleranceSeconds + 1) * 1000;
    for (;;) {
      const seen = await guard.begin(key, delivery.path, expiresAt);
      if (seen.state === "other_path") {
        logger.warn({ requestId: delivery.requestId, signature: redactSignature(delivery.signature) }, "signature replayed on another path");
        return errorResponse("replayed", "this signature was already used for another endpoint");
      }
      if (seen.state === "done") {
        return { status: seen.answer.status, headers: { ...JSON_HEADERS, "x-vizochok-replayed": "1" }, body: seen.answer.body };
      }
      if (seen.state === "new") break;
      if (now() >= delivery.deadline) return errorResponse("request_in_flight", "the same delivery is still being handled");
      await sleep(pollMs);
    }
    let response: CoreResponse | undefined;
    try {
      response = await run();
      return response;
    } finally {
      // The handler's work is done (and maybe committed): a guard failure now must not turn the
      // answer into a 5xx, or VIZOCHOK's retry would apply the change twice. Log it instead.
      try {
        if (response !== undefined && response.status < 500) {
          await guard.complete(key, { status: response.status, body: response.body } satisfies StoredAnswer);
        } else {
          await guard.release(key);
        }
      } catch (error) {
        logger.error({ requestId: delivery.requestId, err: serializeError(error) }, "replay guard could not record the answer");
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
