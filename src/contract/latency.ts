import type { WebhookReply } from "./client.js";
import type { ContractContext } from "./contract-case.js";
import { fail } from "./expect-reply.js";

export const LATENCY_CALLS = 20;

/**
 * Sends `LATENCY_CALLS` requests one after another (each checked by `check`) and fails when
 * their p95 is over the config's `latencyBudgetMs`. A single call over the request timeout has
 * already failed the case by then, with what VIZOCHOK would do.
 */
export async function expectP95WithinBudget(
  context: ContractContext,
  webhook: string,
  send: (index: number) => Promise<WebhookReply>,
  check: (reply: WebhookReply) => void,
): Promise<void> {
  const latencies: number[] = [];
  for (let call = 0; call < LATENCY_CALLS; call++) {
    const reply = await send(call);
    check(reply);
    latencies.push(reply.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  const p95 = latencies[Math.ceil(0.95 * latencies.length) - 1]!;
  context.note(`p95 ${p95.toFixed(1)} ms, median ${latencies[latencies.length >> 1]!.toFixed(1)} ms over ${LATENCY_CALLS} calls`);
  if (p95 > context.config.latencyBudgetMs) {
    fail(
      undefined,
      `the ${webhook} webhook's p95 latency ${p95.toFixed(0)} ms is over ${context.config.latencyBudgetMs} ms (VIZOCHOK gives up after 5 s and retries once): ` +
        "answer from a cache or an index, and keep slow work off the request",
    );
  }
}
