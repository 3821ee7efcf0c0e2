// Which node:crypto functions compute the HMAC. The one-shot `hash()` path and `createHmac` give
// the same digest by design, so a verdict cannot tell them apart: these tests load src/crypto.ts
// afresh over a node:crypto whose functions are spies on the real ones, and look at the calls.
// The path is chosen once per load (a self-check against createHmac), so each test loads anew.
import { createHash as realCreateHash, createHmac as realCreateHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";

type NodeCrypto = typeof import("node:crypto");

const real = process.getBuiltinModule("node:crypto");
const PREFIX = "1767225600.";
const digest = (secret: string, payload: string | Uint8Array) => realCreateHmac("sha256", secret).update(PREFIX).update(payload).digest();

/**
 * node:crypto with `hash`, `createHmac` and `createHash` spied on; `hash` replaced, or left out
 * when `hash` is given as `undefined`.
 */
function spiedCrypto(changes: { hash?: ((...args: never[]) => unknown) | undefined } = {}) {
  const spies = { hash: vi.fn(real.hash), createHmac: vi.fn(real.createHmac), createHash: vi.fn(real.createHash) };
  const module: Record<string, unknown> = { ...real, ...spies, ...changes };
  if ("hash" in changes && changes.hash === undefined) delete module.hash;
  return { module, ...spies };
}

/** src/crypto.ts loaded afresh, with `module` as what the runtime's getBuiltinModule gives for node:crypto. */
async function loadOver(module: object): Promise<typeof import("../../src/crypto.js")> {
  const original = process.getBuiltinModule;
  vi.resetModules();
  process.getBuiltinModule = ((id: string) => (id === "node:crypto" ? module : original(id))) as typeof original;
  try {
    return await import("../../src/crypto.js");
  } finally {
    process.getBuiltinModule = original;
  }
}


afterEach(() => vi.restoreAllMocks());

describe("the HMAC path on a node:crypto with hash()", () => {
  it("checks hash() against createHmac once, on RFC 4231's test case 2 and a key longer than the block; then every signature is two hash() calls and no Hmac object", async () => {
    const module = spiedCrypto();
    const { hmacSync, verifyHmacSync } = await loadOver(module.module);
    expect(module.hash).not.toHaveBeenCalled();
    for (let call = 0; call < 3; call++) {
      expect(Buffer.from(hmacSync("whsec_one", PREFIX, "body")!)).toEqual(digest("whsec_one", "body"));
      expect(verifyHmacSync("whsec_one", PREFIX, new TextEncoder().encode("body"), digest("whsec_one", "body"))).toBe(true);
      expect(verifyHmacSync("whsec_one", PREFIX, "body", digest("whsec_two", "body"))).toBe(false);
    }
    // The self-check: createHmac with the RFC's key and a 100-byte key, and two hash() calls for each.
    expect(module.createHmac.mock.calls).toEqual([
      ["sha256", "Jefe"],
      ["sha256", "k".repeat(100)],
    ]);
    expect(module.hash).toHaveBeenCalledTimes(2 * 2 + 3 * 3 * 2);
    for (const [algorithm, , encoding] of module.hash.mock.calls) expect([algorithm, encoding]).toEqual(["sha256", "binary"]);
  });

  it("hashes the inner pad, the prefix and the payload, then the outer pad and that digest (RFC 2104)", async () => {
    const module = spiedCrypto();
    const { hmacSync } = await loadOver(module.module);
    const secret = "whsec_pads";
    hmacSync(secret, PREFIX, "body");
    const [inner = Buffer.alloc(0), outer] = module.hash.mock.calls.slice(-2).map(([, data]) => Buffer.from(data as Uint8Array));
    const key = Buffer.alloc(64);
    key.write(secret);
    const pad = (byte: number) => Buffer.from(key.map((value) => value ^ byte));
    expect(inner).toEqual(Buffer.concat([pad(0x36), Buffer.from(`${PREFIX}body`)]));
    expect(outer).toEqual(Buffer.concat([pad(0x5c), realCreateHash("sha256").update(inner).digest()]));
  });

  it("sizes the message buffer from the UTF-8 bytes of the prefix and the payload: each first message far longer than 1 KB, in a fresh load, is signed as createHmac signs it", async () => {
    const long = "é€".repeat(20_000);
    const bytes = new Uint8Array(100_000).map((_, index) => index % 251);
    const firsts: Array<[string, string | Uint8Array]> = [
      [PREFIX, long],
      [PREFIX, bytes],
      [`/cart/items?store_id=${long}&`, ""],
    ];
    for (const [prefix, payload] of firsts) {
      const { hmacSync } = await loadOver(spiedCrypto().module);
      const expected = realCreateHmac("sha256", "whsec_long").update(prefix).update(payload).digest();
      expect(Buffer.from(hmacSync("whsec_long", prefix, payload)!), prefix.slice(0, 12)).toEqual(expected);
    }
  });

  it("uses a secret of exactly the block's 64 bytes as the key as it is, and hashes a longer one first (RFC 2104)", async () => {
    const module = spiedCrypto();
    const { hmacSync } = await loadOver(module.module);
    hmacSync("whsec_warm", PREFIX, "body");
    module.createHash.mockClear();
    for (const secret of ["s".repeat(64), "é".repeat(32), "s".repeat(65)]) {
      expect(Buffer.from(hmacSync(secret, PREFIX, "body")!), `${Buffer.byteLength(secret)} bytes`).toEqual(digest(secret, "body"));
    }
    expect(module.createHash).toHaveBeenCalledTimes(1);
  });

  it("makes each secret's pads once: 16 secrets are kept (the self-check's two among them), any later one is made on every call", async () => {
    const module = spiedCrypto();
    const made: string[] = [];
    module.module.createHash = vi.fn((algorithm: string) => {
      const hash = real.createHash(algorithm);
      const update = hash.update.bind(hash);
      return Object.assign(hash, { update: (data: Uint8Array) => (made.push(Buffer.from(data).toString()), update(data)) });
    });
    const { hmacSync } = await loadOver(module.module);
    // Secrets longer than SHA-256's 64-byte block are hashed into their key when their pads are made.
    const secrets = Array.from({ length: 17 }, (_, index) => `whsec_${String(index).padStart(2, "0")}_${"s".repeat(64)}`);
    for (const secret of secrets) {
      for (let call = 0; call < 2; call++) expect(Buffer.from(hmacSync(secret, PREFIX, "body")!)).toEqual(digest(secret, "body"));
    }
    const late = secrets.slice(14);
    expect(made).toEqual(["k".repeat(100), ...secrets.slice(0, 14), ...late.flatMap((secret) => [secret, secret])]);
  });
});

describe("without node:crypto", () => {
  it("hmacSync and verifyHmacSync answer undefined (the caller then uses Web Crypto)", async () => {
    const { hmacSync, verifyHmacSync, nodeCrypto } = await loadOver(undefined as never);
    expect(nodeCrypto).toBeUndefined();
    expect(hmacSync("whsec_one", PREFIX, "body")).toBeUndefined();
    expect(verifyHmacSync("whsec_one", PREFIX, "body", digest("whsec_one", "body"))).toBeUndefined();
  });
});

describe("the HMAC path falls back to createHmac", () => {
  const sign = async (module: object) => {
    const { hmacSync, verifyHmacSync } = await loadOver(module);
    for (let call = 0; call < 3; call++) {
      expect(Buffer.from(hmacSync("whsec_one", PREFIX, "body")!)).toEqual(digest("whsec_one", "body"));
      expect(verifyHmacSync("whsec_one", PREFIX, "body", digest("whsec_one", "body"))).toBe(true);
      expect(verifyHmacSync("whsec_one", PREFIX, "body", digest("whsec_two", "body"))).toBe(false);
    }
  };

  it("where node:crypto has no hash() (before Node 20.12): one Hmac object per signature", async () => {
    const module = spiedCrypto({ hash: undefined });
    await sign(module.module);
    expect(module.createHmac).toHaveBeenCalledTimes(9);
  });

  it("where hash() throws: the self-check fails once, then one Hmac object per signature and hash() never again", async () => {
    const hash = vi.fn(() => {
      throw new TypeError("unsupported");
    });
    const module = spiedCrypto({ hash });
    await sign(module.module);
    expect(hash).toHaveBeenCalledTimes(1);
    expect(module.createHmac).toHaveBeenCalledTimes(9);
  });

  it("where hash() gives another digest than createHmac, for the RFC's key or only for a key longer than the block", async () => {
    // A hash() that gets one of the two self-check messages wrong.
    for (const wrongFor of ["what do ya want for nothing?", "a longer key"]) {
      const hash = vi.fn((algorithm: string, data: Uint8Array, encoding: "binary"): string =>
        Buffer.from(data).includes(wrongFor) ? real.hash(algorithm, Buffer.concat([Buffer.from(data), Buffer.from("!")]), encoding) : real.hash(algorithm, data, encoding),
      );
      const module = spiedCrypto({ hash });
      await sign(module.module);
      const checks = wrongFor === "a longer key" ? 2 : 1;
      expect(module.createHmac, wrongFor).toHaveBeenCalledTimes(checks + 9);
      expect(hash, wrongFor).toHaveBeenCalledTimes(2 * checks);
    }
  });
});
