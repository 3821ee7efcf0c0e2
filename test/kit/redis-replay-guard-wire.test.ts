// What the Redis guard sends to Redis and how it reads the replies, through a recording
// `evaluate` and a recording node-redis-shaped client: no server needed. The scripts' own rule
// runs against a real Redis in redis-replay-guard.test.ts.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRedisReplayGuard, type ReplayDelivery } from "vizochok-merchant-kit";

interface Call {
  script: string;
  keys: string[];
  args: string[];
}

const sha = (algorithm: "sha1" | "sha256", text: string) => createHash(algorithm).update(text).digest("hex");

const delivery: ReplayDelivery = { key: "1767225600.abc", path: "/cart", expiresAt: 1_767_225_901_000, ageMs: 250, identical: "refuse" };

/** A guard whose `evaluate` records each call and answers with `reply`. */
function recording(reply: (call: Call) => unknown, options: { keyPrefix?: string; abandonAfterMs?: number; newToken?: () => string } = {}) {
  const calls: Call[] = [];
  const guard = createRedisReplayGuard({
    evaluate: async (script, keys, args) => {
      const call = { script, keys, args };
      calls.push(call);
      return reply(call);
    },
    now: () => 1_767_225_600_500,
    ...options,
  });
  return { guard, calls };
}

describe("createRedisReplayGuard(): what it sends", () => {
  it("begin sends the hashed key under the default prefix and the delivery, on the guard's clock", async () => {
    const { guard, calls } = recording((call) => ["new", call.args[6]], { newToken: () => "token-1" });
    expect(await guard.begin(delivery)).toEqual({ state: "new", claim: { key: "1767225600.abc", token: "token-1" } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.keys).toEqual([`vizochok:replay:${sha("sha256", "1767225600.abc")}`]);
    // path, arrivedAt (now - ageMs), now, expiresAt, identical, abandonAfterMs, token, the 1 s re-delivery delay
    expect(calls[0]!.args).toEqual(["/cart", "1767225600250", "1767225600500", "1767225901000", "refuse", "5000", "token-1", "1000"]);
  });

  it("a copy that claims to have arrived in the future arrived now; the prefix and abandonAfterMs given are used", async () => {
    const { guard, calls } = recording((call) => ["new", call.args[6]], { keyPrefix: "shop-7:", abandonAfterMs: 1_234 });
    const seen = await guard.begin({ ...delivery, ageMs: -400 });
    expect(seen.state).toBe("new");
    expect(calls[0]!.keys).toEqual([`shop-7:${sha("sha256", "1767225600.abc")}`]);
    expect(calls[0]!.args.slice(1, 3)).toEqual(["1767225600500", "1767225600500"]);
    expect(calls[0]!.args[5]).toBe("1234");
    // The default token is a random UUID, new for every attempt.
    expect(calls[0]!.args[6]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await guard.begin(delivery);
    expect(calls[1]!.args[6]).not.toBe(calls[0]!.args[6]);
  });

  it("complete sends the claim's token, the answer and the time; release the token alone", async () => {
    const { guard, calls } = recording(() => 1);
    await guard.complete({ key: "1767225600.abc", token: "t-9" }, { status: 200, body: `{"ok":true}` });
    await guard.release({ key: "1767225600.abc", token: "t-9" });
    const key = `vizochok:replay:${sha("sha256", "1767225600.abc")}`;
    expect(calls.map(({ keys, args }) => ({ keys, args }))).toEqual([
      { keys: [key], args: ["t-9", "200", `{"ok":true}`, "1767225600500"] },
      { keys: [key], args: ["t-9"] },
    ]);
    expect(new Set(calls.map((call) => call.script)).size).toBe(2);
  });
});

describe("createRedisReplayGuard(): how it reads replies", () => {
  it.each([
    ["pending", ["pending"], { state: "pending" }],
    ["duplicate", ["duplicate"], { state: "duplicate" }],
    ["other_path", ["other_path"], { state: "other_path" }],
    ["done", ["done", "200", `{"ok":true}`], { state: "done", answer: { status: 200, body: `{"ok":true}` } }],
    ["done, numbers and text as Redis may send them", ["done", 409, ""], { state: "done", answer: { status: 409, body: "" } }],
  ])("%s", async (_name, reply, lookup) => {
    const { guard } = recording(() => reply);
    expect(await guard.begin(delivery)).toEqual(lookup);
  });

  it.each([
    ["a claim with another token", ["new", "someone-else"]],
    ["a claim with no token", ["new"]],
    ["an answer with no body", ["done", "200"]],
    ["an answer whose status is not a number", ["done", "2xx", "{}"]],
    ["an answer whose status only starts with digits", ["done", "200 OK", "{}"]],
    ["an answer whose status only ends with digits", ["done", "HTTP 200", "{}"]],
    ["an unknown state", ["maybe"]],
    ["no array", "new"],
    ["nothing", null],
  ])("refuses %s with an error naming the reply", async (_name, reply) => {
    const { guard } = recording(() => reply, { newToken: () => "mine" });
    await expect(guard.begin(delivery)).rejects.toThrow(`replay guard: unexpected reply from Redis: ${JSON.stringify(reply)}`);
  });
});

describe("createRedisReplayGuard({ client })", () => {
  function client(evalSha: ((sha1: string) => Promise<unknown>) | undefined) {
    const calls: string[] = [];
    const scripts: string[] = [];
    const redis = {
      eval: async (script: string, options: { keys: string[]; arguments: string[] }) => {
        calls.push("eval");
        scripts.push(script);
        return ["new", options.arguments[6]];
      },
      ...(evalSha && {
        evalSha: async (sha1: string) => {
          calls.push(`evalSha ${sha1}`);
          return evalSha(sha1);
        },
      }),
    };
    return { redis, calls, scripts };
  }

  it("runs a script by its SHA-1, and sends it whole once when Redis does not know it", async () => {
    let known = false;
    const { redis, calls, scripts } = client(async () => {
      if (!known) throw new Error("NOSCRIPT No matching script. Please use EVAL.");
      return ["pending"];
    });
    const guard = createRedisReplayGuard({ client: redis });
    expect((await guard.begin(delivery)).state).toBe("new");
    known = true;
    expect(await guard.begin(delivery)).toEqual({ state: "pending" });
    const digest = sha("sha1", scripts[0]!);
    expect(calls).toEqual([`evalSha ${digest}`, "eval", `evalSha ${digest}`]);
  });

  it("passes any other error from evalSha on, without sending the script", async () => {
    const { redis, calls } = client(async () => {
      throw new Error("READONLY You can't write against a read only replica.");
    });
    const guard = createRedisReplayGuard({ client: redis });
    await expect(guard.begin(delivery)).rejects.toThrow(/^READONLY/);
    expect(calls).toHaveLength(1);
  });

  it("passes a rejection with no error at all on as it is", async () => {
    const { redis, calls } = client(() => Promise.reject(undefined));
    const guard = createRedisReplayGuard({ client: redis });
    await expect(guard.begin(delivery)).rejects.toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it("uses eval alone on a client without evalSha", async () => {
    const { redis, calls } = client(undefined);
    const guard = createRedisReplayGuard({ client: redis });
    expect((await guard.begin(delivery)).state).toBe("new");
    expect(calls).toEqual(["eval"]);
  });
});

describe("createRedisReplayGuard() options", () => {
  const evaluate = async () => null;
  it.each([
    ["neither client nor evaluate", {}, "createRedisReplayGuard: pass exactly one of `client` (node-redis) or `evaluate`"],
    ["a client without eval", { client: {} }, "createRedisReplayGuard: `client` has no eval method; pass a node-redis client, or use `evaluate`"],
    ["an evaluate that is not a function", { evaluate: "EVAL" }, "createRedisReplayGuard: `evaluate` must be a function (script, keys, args) => Promise"],
    ["a key prefix that is not text", { evaluate, keyPrefix: 7 }, "createRedisReplayGuard: `keyPrefix` must be a string"],
    ["abandonAfterMs 0", { evaluate, abandonAfterMs: 0 }, "createRedisReplayGuard: `abandonAfterMs` must be a positive number of ms"],
    ["abandonAfterMs below 0", { evaluate, abandonAfterMs: -1 }, "createRedisReplayGuard: `abandonAfterMs` must be a positive number of ms"],
    ["abandonAfterMs not finite", { evaluate, abandonAfterMs: Number.POSITIVE_INFINITY }, "createRedisReplayGuard: `abandonAfterMs` must be a positive number of ms"],
  ])("refuses %s with a TypeError saying so", (_name, options, message) => {
    expect(() => createRedisReplayGuard(options as never)).toThrow(new TypeError(message));
  });

  it("takes an empty key prefix: the key is the hash alone", async () => {
    const { guard, calls } = recording((call) => ["new", call.args[6]], { keyPrefix: "" });
    await guard.begin(delivery);
    expect(calls[0]!.keys).toEqual([sha("sha256", "1767225600.abc")]);
  });
});
