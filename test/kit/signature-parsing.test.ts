// The signature check reads its headers by char code and keeps a key per secret; these tests hold
// it to what the plain versions did: `toLowerCase` for header names, the `sha256=[0-9a-fA-F]{64}`
// and `[0-9]{1,15}` patterns, and node:crypto's createHmac with the secret as given.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signWebhook, verifyWebhookSignature, type VerifyWebhookSignatureOptions } from "vizochok-merchant-kit";
import { nodeCrypto } from "../../src/crypto.js";
import { createVerifier } from "../../src/core/verification.js";
import { readHeader } from "../../src/signature.js";

const NOW = 1_767_225_600_000;
const body = Buffer.from('{"skus":["milk-001"],"store_id":"store-1"}');
/** The signature header for `"{timestamp}.{body}"`, computed with node:crypto alone. */
const sign = (secret: string, timestamp: string, bytes: Uint8Array = body) =>
  `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(bytes).digest("hex")}`;

describe("readHeader()", () => {
  const name = "x-vizochok-signature";
  // Spellings of the name and near misses: cases flipped, the Kelvin sign (which lower-cases to
  // "k"), U+0130 (which lower-cases to two characters), a letter changed, one added or dropped.
  const spelling = fc
    .tuple(fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }), fc.nat({ max: 5 }), fc.nat({ max: name.length - 1 }))
    .map(([upper, change, at]) => {
      const chars = [...name].map((char, index) => (upper[index] ? char.toUpperCase() : char));
      if (change === 1) chars[name.indexOf("k")] = "\u212A";
      if (change === 2) chars[at] = "\u0130";
      if (change === 3) chars[at] = chars[at] === "z" ? "y" : "z";
      if (change === 4) chars.splice(at, 0, "-");
      if (change === 5) chars.splice(at, 1);
      return chars.join("");
    });

  it("finds the header under exactly the keys whose toLowerCase() is its name", () => {
    fc.assert(
      fc.property(fc.array(spelling, { minLength: 1, maxLength: 3 }), (keys) => {
        const headers = Object.fromEntries(keys.map((key, index) => [key, `value-${index}`]));
        const first = Object.keys(headers).find((key) => key.toLowerCase() === name);
        expect(readHeader(headers, name)).toBe(first === undefined ? undefined : headers[first]);
      }),
      { numRuns: 500 },
    );
  });

  it("reads a header spelt with the Kelvin sign, as toLowerCase() does", () => {
    expect(readHeader({ "X-VIZOCHO\u212A-SIGNATURE": "sha256=ab" }, name)).toBe("sha256=ab");
    expect(readHeader({ "X-VIZOCHOK-SIGNATURF": "sha256=ab" }, name)).toBeUndefined();
  });
});

describe("verifyWebhookSignature() header parsing", () => {
  const secret = "whsec_parsing";
  const timestamp = String(NOW / 1000);
  const verify = (signature: string, stamp = timestamp) =>
    verifyWebhookSignature({ secrets: secret, headers: { "x-vizochok-signature": signature, "x-vizochok-timestamp": stamp }, rawBody: body, now: NOW });

  it("accepts the hex digits in any case and reports them in lower case", () => {
    const hex = sign(secret, timestamp).slice("sha256=".length);
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), (upper) => {
        const mixed = [...hex].map((char, index) => (upper[index] ? char.toUpperCase() : char)).join("");
        expect(verify(`sha256=${mixed}`)).toEqual({ ok: true, secretIndex: 0, timestamp: NOW / 1000, signature: hex });
      }),
    );
  });

  it("answers malformed_signature for any header but sha256= and 64 hex digits", () => {
    const hex = sign(secret, timestamp).slice("sha256=".length);
    // Whitespace aside: the header is trimmed, so a trailing space is not part of the signature.
    const notHex = fc.string({ minLength: 1, maxLength: 1 }).filter((char) => !/[0-9a-fA-F]/.test(char) && char.trim() !== "");
    fc.assert(
      fc.property(fc.nat({ max: 63 }), notHex, (at, char) => {
        const code = (value: string) => {
          const result = verify(value);
          return result.ok ? "ok" : result.code;
        };
        expect(code(`sha256=${hex.slice(0, at)}${char}${hex.slice(at + 1)}`)).toBe("malformed_signature");
        expect(code(`sha256=${hex.slice(0, at)}${hex.slice(at + 1)}`)).toBe("malformed_signature");
        expect(code(`sha256=${hex}${char}`)).toBe("malformed_signature");
        expect(code(`sha512=${hex}`)).toBe("malformed_signature");
      }),
    );
  });

  it("reads the timestamp as /^[0-9]{1,15}$/ did: exactly those verify (inside the window), the rest are malformed", () => {
    const stamp = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."0123456789+-.eEx_ "), maxLength: 17 }).map((text) => text.trim()),
      fc.stringMatching(/^[0-9]{13,17}$/),
    );
    fc.assert(
      fc.property(stamp, (text) => {
        const result = verifyWebhookSignature({
          secrets: secret,
          headers: { "x-vizochok-signature": sign(secret, text), "x-vizochok-timestamp": text },
          rawBody: body,
          now: /^[0-9]+$/.test(text) ? Number(text) * 1000 : NOW,
        });
        if (text === "") expect(result).toMatchObject({ ok: false });
        else if (/^[0-9]{1,15}$/.test(text)) expect(result).toEqual({ ok: true, secretIndex: 0, timestamp: Number(text), signature: expect.any(String) });
        else expect(result).toMatchObject({ ok: false, code: "malformed_timestamp" });
      }),
    );
  });
});

describe("verifyWebhookSignature() keys and options", () => {
  it("matches createHmac with the secret as given, at any place in a list of up to 20 secrets", () => {
    const secrets = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(secrets, fc.nat(), fc.uint8Array({ maxLength: 1500 }), (list, pick, bytes) => {
        const index = pick % list.length;
        const headers = { "X-VIZOCHOK-Signature": sign(list[index]!, String(NOW / 1000), bytes), "X-VIZOCHOK-Timestamp": String(NOW / 1000) };
        const result = verifyWebhookSignature({ secrets: list, headers, rawBody: bytes, now: NOW });
        expect(result).toMatchObject({ ok: true, secretIndex: index });
        const others = list.filter((_, at) => at !== index);
        if (others.length > 0) expect(verifyWebhookSignature({ secrets: others, headers, rawBody: bytes, now: NOW })).toMatchObject({ ok: false, code: "signature_mismatch" });
      }),
      { numRuns: 200 },
    );
  });

  it("signs and verifies as createHmac does with any secret (non-ASCII, longer than SHA-256's 64-byte block) and any body, bytes or text", () => {
    const timestamp = NOW / 1000;
    // Bodies past 1 KiB too: the buffer the signed bytes are assembled in grows for them.
    const anyBody = fc.oneof(fc.uint8Array({ maxLength: 3000, size: "max" }), fc.string({ unit: "binary", maxLength: 1000, size: "max" }));
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 150, size: "max" }), anyBody, (secret, sent) => {
        const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(sent).digest("hex");
        const headers = signWebhook({ secret, body: sent, timestamp });
        expect(headers["X-VIZOCHOK-Signature"]).toBe(`sha256=${expected}`);
        expect(verifyWebhookSignature({ secrets: secret, headers, rawBody: sent, now: NOW })).toMatchObject({ ok: true, signature: expected });
        const other = verifyWebhookSignature({ secrets: `${secret}x`, headers, rawBody: sent, now: NOW });
        expect(other).toMatchObject({ ok: false, code: "signature_mismatch" });
      }),
      { numRuns: 40 },
    );
  });

  describe("on Node ≥ 20.12", () => {
    afterEach(() => vi.restoreAllMocks());

    it("makes no Hmac object per verification: node:crypto's one-shot hash() computes the HMAC", () => {
      const headers = { "x-vizochok-signature": sign("whsec_one_shot", String(NOW / 1000)), "x-vizochok-timestamp": String(NOW / 1000) };
      const verify = () => verifyWebhookSignature({ secrets: "whsec_one_shot", headers, rawBody: body, now: NOW });
      expect(verify()).toMatchObject({ ok: true });
      const hmac = vi.spyOn(nodeCrypto!, "createHmac");
      const hash = vi.spyOn(nodeCrypto!, "hash");
      expect(verify()).toMatchObject({ ok: true });
      expect([hmac.mock.calls.length, hash.mock.calls.length]).toEqual([0, 2]);
    });
  });

  it("checks the options again on every call: a value changed on the same object is invalid_options at once", () => {
    const secret = "whsec_changed";
    const options: VerifyWebhookSignatureOptions = {
      secrets: [secret],
      headers: { "x-vizochok-signature": sign(secret, String(NOW / 1000)), "x-vizochok-timestamp": String(NOW / 1000) },
      rawBody: body,
      now: NOW,
    };
    expect(verifyWebhookSignature(options)).toMatchObject({ ok: true });
    (options.secrets as string[]).push("");
    expect(verifyWebhookSignature(options)).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("secrets[1]") });
    (options.secrets as string[]).pop();
    options.toleranceSeconds = Number.NaN;
    expect(verifyWebhookSignature(options)).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("toleranceSeconds") });
    options.toleranceSeconds = 300;
    options.getSigning = "path-and-query" as never;
    options.method = "GET";
    expect(verifyWebhookSignature(options)).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("url") });
  });
});

describe("createVerifier() per request", () => {
  const secret = "whsec_core";
  const headers = { "x-vizochok-signature": sign(secret, String(NOW / 1000)), "x-vizochok-timestamp": String(NOW / 1000) };
  const request = { method: "POST", target: "/check-products", headers, rawBody: new Uint8Array(body) };
  const verifier = (now: () => number, getSigning: "empty-body" | "path-and-query" = "empty-body") =>
    createVerifier({ secrets: [secret], bodyLimit: 1000, toleranceSeconds: 300, getSigning, now });

  it("verifies with the options checked at setup", () => {
    expect(verifier(() => NOW)(request)).toMatchObject({ ok: true, delivery: { secretIndex: 0, timestamp: NOW / 1000 } });
  });

  it("500 internal_error, never a pass, when the clock reads NaN or Infinity (the window would be off)", async () => {
    for (const reading of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = await verifier(() => reading)(request);
      expect(result.ok === false && [result.response.status, result.response.error]).toEqual([500, "internal_error"]);
    }
  });

  it("500 internal_error for a path-and-query GET whose target it cannot read", async () => {
    const result = await verifier(() => NOW, "path-and-query")({ ...request, method: "GET", target: "not a target", rawBody: new Uint8Array() });
    expect(result.ok === false && [result.response.status, result.response.error]).toEqual([500, "internal_error"]);
  });
});
