import type { WebhookKind } from "../handlers.js";
import { redactSignature, type WebhookLogger } from "../logger.js";
import type { IdenticalRequestPolicy, ReplayClaim, ReplayGuard, StoredAnswer } from "../replay-guard.js";
import { errorResponse, JSON_HEADERS, type CoreResponse } from "./responses.js";
import { serializeError } from "./serialize-error.js";
import type { VerifiedDelivery } from "./verification.js";

export interface ReplayStageOptions {
  /** `undefined`: the guard is off and every delivery runs. */
  guard: ReplayGuard | undefined;
  toleranceSeconds: number;
  /** A byte-identical cart POST after the first's answer and < 1 s after it arrived: run or refuse. */
  identical: IdenticalRequestPolicy;
  now: () => number;
  logger: WebhookLogger;
  /** How long to wait between looks at a delivery another request is handling. */
  pollMs?: number;
}

/** One verified delivery as the replay stage sees it. */
export interface Delivery extends VerifiedDelivery {
  kind: WebhookKind;
  /** The endpoint it was sent to: a signature is good for one endpoint only. */
  path: string;
  requestId: string;
  /** Epoch ms when it arrived (the kit's clock): copies are judged by arrival, not by processing. */
  receivedAt: number;
  /** Epoch ms by which an answer is due. */
  deadline: number;
}

/** Runs the delivery; `claim` is set for a cart POST behind a guard (the handler sees it as `context.replay`). */
export type GuardedRun = (claim: ReplayClaim | undefined) => CoreResponse | Promise<CoreResponse>;

export type ReplayStage = (delivery: Delivery, run: GuardedRun) => CoreResponse | Promise<CoreResponse>;

/**
 * Replay: the identical-delivery rule (see `ReplayGuard`) for cart POSTs. A copy that arrives while
 * the first is in flight waits for its answer (until the deadline); one that arrives after the
 * answer and < 1 s after the first is a new request (runs, or `409 duplicate_delivery`); one 1 s
 * or more later gets the recorded answer. Products and cart GET change nothing and are not guarded.
 */
export function createReplayStage(options: ReplayStageOptions): ReplayStage {
  const { guard, toleranceSeconds, identical, now, logger } = options;
  const pollMs = options.pollMs ?? 20;

  return function guarded(delivery, run) {
    if (guard === undefined || delivery.kind !== "cart") return run(undefined);
    return runOnce(guard, delivery, run);
  };

  async function runOnce(guard: ReplayGuard, delivery: Delivery, run: GuardedRun): Promise<CoreResponse> {
    const key = `${delivery.timestamp}.${delivery.signature}`;
    const expiresAt = (delivery.timestamp + toleranceSeconds + 1) * 1000;
    let claim: ReplayClaim;
    for (;;) {
      const ageMs = now() - delivery.receivedAt;
      const seen = await guard.begin({ key, path: delivery.path, expiresAt, ageMs, identical });
      if (seen.state === "new") {
        claim = seen.claim;
        break;
      }
      if (seen.state === "other_path") {
        logger.warn({ requestId: delivery.requestId, signature: redactSignature(delivery.signature) }, "signature replayed on another path");
        return errorResponse("replayed", "this signature was already used for another endpoint");
      }
      if (seen.state === "done") {
        return { status: seen.answer.status, headers: { ...JSON_HEADERS, "x-vizochok-replayed": "1" }, body: seen.answer.body };
      }
      if (seen.state === "duplicate") {
        return errorResponse("duplicate_delivery", "an identical request was answered less than 1 s ago; send it again to apply it");
      }
      if (now() >= delivery.deadline) return errorResponse("request_in_flight", "the same delivery is still being handled");
      await sleep(pollMs);
    }
    let response: CoreResponse | undefined;
    try {
      response = await run(claim);
      return response;
    } finally {
      // The handler's work is done (and maybe committed): a guard failure now must not turn the
      // answer into a 5xx, or VIZOCHOK's retry would apply the change twice. Log it instead.
      try {
        if (response !== undefined && response.status < 500) {
          await guard.complete(claim, { status: response.status, body: response.body } satisfies StoredAnswer);
        } else {
          await guard.release(claim);
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
