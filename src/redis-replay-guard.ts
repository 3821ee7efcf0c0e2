// The replay guard in Redis, for apps with several instances and no SQL store of their own. It
// imports no Redis client: pass yours (node-redis, or anything through `evaluate`).
import {
  DEFAULT_ABANDON_AFTER_MS,
  REDELIVERY_DELAY_MS,
  type ReplayClaim,
  type ReplayDelivery,
  type ReplayGuard,
  type ReplayLookup,
  type StoredAnswer,
} from "./replay-guard.js";

/**
 * The part of a node-redis client (v4 and later: `createClient()`, `createCluster()`) the guard
 * uses. `evalSha` is used when present, falling back to `eval` when Redis does not know the script.
 */
export interface NodeRedisScriptClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha?(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * Runs a Lua script with `EVAL` and resolves with its reply (arrays of strings).
 *
 * @example
 * // ioredis
 * const evaluate: RedisEvaluate = (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args);
 * // @upstash/redis
 * const evaluate: RedisEvaluate = (script, keys, args) => redis.eval(script, keys, args);
 */
export type RedisEvaluate = (script: string, keys: string[], args: string[]) => Promise<unknown>;

/** What `createRedisReplayGuard` takes: exactly one of `client` and `evaluate`. */
export interface RedisReplayGuardOptions {
  /** A connected node-redis client. Give either `client` or `evaluate`. */
  client?: NodeRedisScriptClient;
  /** Runs a script on any other client (ioredis, Upstash, …). */
  evaluate?: RedisEvaluate;
  /**
   * Put before every key, so several apps or tenants can share one Redis. Every instance that
   * serves one webhook secret must use the same prefix. Default `"vizochok:replay:"`.
   */
  keyPrefix?: string;
  /**
   * The guard's clock. Arrival, claim and answer times are read from it and passed to Redis, so
   * every instance's clock must be in step (NTP), as for any shared guard. Default `Date.now`.
   */
  now?: () => number;
  /** A delivery in flight this long belongs to an instance that died: a copy may take it over. Default 5,000 ms. */
  abandonAfterMs?: number;
  /** Makes claim tokens; default `crypto.randomUUID`. */
  newToken?: () => string;
}

// Each script is one atomic step on one hash per delivery: fields path, token, arrived, claimed,
// expires, and once answered status, body, answered. Times are the guard's clock, sent as
// arguments; the key lives until the signature leaves its window (PEXPIRE).
//
// BEGIN applies judgeDelivery (src/replay-guard.ts) exactly; keep the two in step.
// ARGV: path, arrivedAt, at, expiresAt, identical, abandonAfterMs, token, redeliveryDelayMs
const BEGIN = `
local key = KEYS[1]
local path, arrived, at, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[7]
local r = redis.call('HMGET', key, 'path', 'arrived', 'claimed', 'expires', 'status', 'body', 'answered')
if not r[1] or tonumber(r[4]) <= at then
  redis.call('DEL', key)
  redis.call('HSET', key, 'path', path, 'token', token, 'arrived', ARGV[2], 'claimed', ARGV[3], 'expires', ARGV[4])
  redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(ARGV[4]) - at)))
  return {'new', token}
end
if r[1] ~= path then return {'other_path'} end
if not r[5] then
  if at - tonumber(r[3]) < tonumber(ARGV[6]) then return {'pending'} end
elseif not r[7] or arrived < tonumber(r[7]) or arrived - tonumber(r[2]) >= tonumber(ARGV[8]) then
  return {'done', r[5], r[6]}
elseif ARGV[5] == 'refuse' then
  return {'duplicate'}
end
redis.call('HSET', key, 'token', token, 'claimed', ARGV[3])
redis.call('HDEL', key, 'status', 'body', 'answered')
return {'new', token}
`;

// ARGV: token, status, body, at. The first answer recorded for a claim stays.
const COMPLETE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[1], 'status') == 0 then redis.call('HSET', KEYS[1], 'status', ARGV[2], 'body', ARGV[3]) end
redis.call('HSET', KEYS[1], 'answered', ARGV[4])
return 1
`;

// ARGV: token. Keeps a record with an answer (the change stands) and one another claim holds.
const RELEASE = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'status') == 1 then return 0 end
return redis.call('DEL', KEYS[1])
`;

type Script = (keys: string[], args: string[]) => Promise<unknown>;

/**
 * The kit's replay guard in Redis, shared by every instance that points at it: each decision is
 * one Lua script applying the identical-delivery rule (`judgeDelivery`) atomically, every write
 * is fenced by the claim token (a stale owner cannot undo a takeover), a claim left in flight is
 * taken over after `abandonAfterMs`, and records expire with the signature window. Keys are
 * SHA-256 hashes of the signature: enough to recognise a copy, useless to replay.
 *
 * Redis records the answer after the handler returns, not in the handler's own transaction: a
 * crash between a change's commit and that write leaves the delivery to be taken over after 5 s
 * and run again. A store with a SQL database should keep its guard there (see the reference
 * store's SQLite and PostgreSQL guards). Without persistence Redis also forgets on restart.
 *
 * @example
 * import { createClient } from "redis";
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * createWebhookRouter({ secret, handlers, replayGuard: createRedisReplayGuard({ client: redis }) });
 */
export function createRedisReplayGuard(options: RedisReplayGuardOptions): ReplayGuard {
  const { client, evaluate } = options ?? {};
  if ((client === undefined) === (evaluate === undefined)) {
    throw new TypeError("createRedisReplayGuard: pass exactly one of `client` (node-redis) or `evaluate`");
  }
  if (client !== undefined && typeof client.eval !== "function") {
    throw new TypeError("createRedisReplayGuard: `client` has no eval method; pass a node-redis client, or use `evaluate`");
  }
  if (evaluate !== undefined && typeof evaluate !== "function") {
    throw new TypeError("createRedisReplayGuard: `evaluate` must be a function (script, keys, args) => Promise");
  }
  const keyPrefix = options.keyPrefix ?? "vizochok:replay:";
  if (typeof keyPrefix !== "string") throw new TypeError("createRedisReplayGuard: `keyPrefix` must be a string");
  const abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS;
  if (!Number.isFinite(abandonAfterMs) || abandonAfterMs <= 0) {
    throw new TypeError("createRedisReplayGuard: `abandonAfterMs` must be a positive number of ms");
  }
  const now = options.now ?? Date.now;
  const newToken = options.newToken ?? (() => globalThis.crypto.randomUUID());

  const script = (source: string): Script => {
    if (evaluate !== undefined) return (keys, args) => evaluate(source, keys, args);
    const redis = client!;
    if (typeof redis.evalSha !== "function") return (keys, args) => redis.eval(source, { keys, arguments: args });
    let sha1: Promise<string> | undefined;
    return async (keys, args) => {
      sha1 ??= digestHex("SHA-1", source);
      try {
        return await redis.evalSha!(await sha1, { keys, arguments: args });
      } catch (error) {
        if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
        return redis.eval(source, { keys, arguments: args });
      }
    };
  };
  const begin = script(BEGIN);
  const complete = script(COMPLETE);
  const release = script(RELEASE);
  const redisKey = async (key: string) => keyPrefix + (await digestHex("SHA-256", key));

  return {
    async begin(delivery: ReplayDelivery): Promise<ReplayLookup> {
      const key = await redisKey(delivery.key);
      const at = now();
      const arrivedAt = at - Math.max(0, delivery.ageMs);
      const token = newToken();
      const reply = await begin(
        [key],
        [delivery.path, String(arrivedAt), String(at), String(delivery.expiresAt), delivery.identical, String(abandonAfterMs), token, String(REDELIVERY_DELAY_MS)],
      );
      const [state, first, second] = Array.isArray(reply) ? reply.map((part) => String(part)) : [];
      switch (state) {
        case "new":
          if (first === token) return { state: "new", claim: { key: delivery.key, token } };
          break;
        case "done":
          if (first !== undefined && second !== undefined && /^\d+$/.test(first)) return { state: "done", answer: { status: Number(first), body: second } };
          break;
        case "pending":
        case "duplicate":
        case "other_path":
          return { state };
      }
      throw new Error(`replay guard: unexpected reply from Redis: ${JSON.stringify(reply)}`);
    },
    async complete(claim: ReplayClaim, answer: StoredAnswer): Promise<void> {
      await complete([await redisKey(claim.key)], [claim.token, String(answer.status), answer.body, String(now())]);
    },
    async release(claim: ReplayClaim): Promise<void> {
      await release([await redisKey(claim.key)], [claim.token]);
    },
  };
}

async function digestHex(algorithm: "SHA-1" | "SHA-256", text: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest(algorithm, new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
