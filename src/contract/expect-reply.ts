import type * as z from "zod/mini";
import { CartGetResponse, CartResponse, type CartGetItem } from "../schemas.js";
import { abbreviate, type WebhookReply } from "./client.js";
import { ContractViolation } from "./contract-case.js";

/** `POST /cart {…} → 500 {"error":…}`: the evidence every failure message starts with. */
export function exchange(reply: WebhookReply): string {
  return `${reply.sent} → ${reply.status} ${abbreviate(reply.text || "(empty body)")}`;
}

export function fail(reply: WebhookReply | undefined, problem: string): never {
  throw new ContractViolation(reply === undefined ? problem : `${problem}\n  ${exchange(reply)}`);
}

export function expectStatus(reply: WebhookReply, status: number, why: string): void {
  if (reply.status !== status) fail(reply, `expected ${status}, got ${reply.status}: ${why}`);
}

/** Parses a 200 answer with the kit's schema; anything else is a violation naming the issue. */
export function expectShape<T extends z.ZodMiniType>(reply: WebhookReply, schema: T, what: string): z.output<T> {
  expectStatus(reply, 200, `${what} must be answered 200`);
  if (reply.json === undefined) fail(reply, `${what}: the body is not JSON`);
  const parsed = schema.safeParse(reply.json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "body" : issue.path.join(".");
    fail(reply, `${what}: the answer does not match the contract (${where}: ${issue?.message ?? "invalid"})`);
  }
  return parsed.data;
}

/** Expects `200 {"ok": true}` or `200 {"ok": false, "reason": reason}`. */
export function expectCartAnswer(reply: WebhookReply, expected: { ok: true } | { ok: false; reason: string }, why: string): void {
  const answer = expectShape(reply, CartResponse, "a cart webhook");
  if (expected.ok && !answer.ok) fail(reply, `expected {"ok":true}: ${why}`);
  if (!expected.ok) {
    if (answer.ok) fail(reply, `expected {"ok":false,"reason":"${expected.reason}"}: ${why}`);
    if (answer.reason !== expected.reason) fail(reply, `expected reason "${expected.reason}", got "${answer.reason}": ${why}`);
  }
}

export function expectCart(reply: WebhookReply): CartGetItem[] {
  return expectShape(reply, CartGetResponse, "a cart GET").items;
}

/** Signature failures: 401 is what the kit sends; 400 and 403 are accepted from other stacks. */
export const REJECTED_STATUSES: readonly number[] = [401, 400, 403];

export function expectRejected(reply: WebhookReply, why: string): void {
  if (!REJECTED_STATUSES.includes(reply.status)) fail(reply, `expected 401 (or 400/403), got ${reply.status}: ${why}`);
}
