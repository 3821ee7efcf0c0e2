import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { signWebhook, verifyWebhookSignature, type GetSigningMode } from "vizochok-merchant-kit";

interface Vector {
  name: string;
  secrets: string[];
  method: string;
  url?: string;
  get_signing?: GetSigningMode;
  body?: string;
  body_hex?: string;
  now: number;
  headers: Record<string, string>;
  expected: { valid: true; secret_index: number } | { valid: false; error: string };
}

const file = JSON.parse(readFileSync(new URL("../../fixtures/signature-vectors.json", import.meta.url), "utf8")) as {
  vectors: Vector[];
};
const bodyOf = (v: Vector) => (v.body_hex === undefined ? Buffer.from(v.body ?? "", "utf8") : Buffer.from(v.body_hex, "hex"));

describe("fixtures/signature-vectors.json", () => {
  it.each(file.vectors.map((v) => [v.name, v] as const))("%s", (_name, vector) => {
    const result = verifyWebhookSignature({
      secrets: vector.secrets,
      headers: vector.headers,
      rawBody: bodyOf(vector),
      method: vector.method,
      ...(vector.url === undefined ? {} : { url: vector.url }),
      ...(vector.get_signing === undefined ? {} : { getSigning: vector.get_signing }),
      now: vector.now * 1000,
    });
    if (vector.expected.valid) {
      expect(result).toMatchObject({ ok: true, secretIndex: vector.expected.secret_index });
    } else {
      expect(result).toMatchObject({ ok: false, code: vector.expected.error });
    }
  });

  it("signWebhook() reproduces every valid vector signed with the matching secret", () => {
    const valid = file.vectors.filter((v) => v.expected.valid && !/uppercase/.test(v.name));
    expect(valid.length).toBeGreaterThan(10);
    for (const vector of valid) {
      const secret = vector.secrets[(vector.expected as { secret_index: number }).secret_index]!;
      const headers = signWebhook({
        secret,
        body: vector.method === "GET" ? undefined : bodyOf(vector),
        timestamp: Number(vector.headers["X-VIZOCHOK-Timestamp"]),
        method: vector.method,
        ...(vector.url === undefined ? {} : { url: vector.url }),
        ...(vector.get_signing === undefined ? {} : { getSigning: vector.get_signing }),
      } as Parameters<typeof signWebhook>[0]);
      expect(headers["X-VIZOCHOK-Signature"], vector.name).toBe(vector.headers["X-VIZOCHOK-Signature"]);
    }
  });
});

describe("signWebhook() / verifyWebhookSignature() properties", () => {
  const secret = "whsec_property";
  const now = 1_767_225_600_000;

  it("any byte body signed now verifies", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: -300, max: 300 }), (bytes, skew) => {
        const timestamp = now / 1000 + skew;
        const headers = signWebhook({ secret, body: bytes, timestamp });
        const result = verifyWebhookSignature({ secrets: secret, headers, rawBody: bytes, now });
        return result.ok && result.timestamp === timestamp;
      }),
    );
  });

  it("any single flipped bit in the body fails", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (bytes, at, bit) => {
          const headers = signWebhook({ secret, body: bytes, timestamp: now / 1000 });
          const tampered = Uint8Array.from(bytes);
          tampered[at % bytes.length]! ^= 1 << bit;
          const result = verifyWebhookSignature({ secrets: secret, headers, rawBody: tampered, now });
          return !result.ok && result.code === "signature_mismatch";
        },
      ),
    );
  });

  it("any single flipped bit in the signature fails", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 255 }), (body, bit) => {
        const headers = signWebhook({ secret, body, timestamp: now / 1000 });
        const digest = Buffer.from(headers["X-VIZOCHOK-Signature"].slice(7), "hex");
        digest[bit >> 3]! ^= 1 << (bit & 7);
        const forged = { ...headers, "X-VIZOCHOK-Signature": `sha256=${digest.toString("hex")}` };
        return !verifyWebhookSignature({ secrets: secret, headers: forged, rawBody: body, now }).ok;
      }),
    );
  });

  it("the window is two-sided: |skew| > tolerance always fails, whatever the body", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 301, max: 10 ** 9 }), fc.boolean(), (body, distance, future) => {
        const timestamp = now / 1000 + (future ? distance : -distance);
        const headers = signWebhook({ secret, body, timestamp });
        const result = verifyWebhookSignature({ secrets: secret, headers, rawBody: body, now });
        return !result.ok && result.code === (future ? "timestamp_too_new" : "timestamp_too_old");
      }),
    );
  });

  it("a string body and its UTF-8 bytes sign identically", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (body) => {
        const a = signWebhook({ secret, body, timestamp: 1 });
        const b = signWebhook({ secret, body: Buffer.from(body, "utf8"), timestamp: 1 });
        return a["X-VIZOCHOK-Signature"] === b["X-VIZOCHOK-Signature"];
      }),
    );
  });
});

describe("verifyWebhookSignature() inputs", () => {
  const body = '{"skus":[],"store_id":"store-1"}';
  const now = 1_767_225_600_000;
  const headers = signWebhook({ secret: "s", body, timestamp: now / 1000 });

  it("finds headers whatever their case, in a Fetch Headers object too", () => {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyWebhookSignature({ secrets: "s", headers: lower, rawBody: body, now }).ok).toBe(true);
    expect(verifyWebhookSignature({ secrets: "s", headers: new Headers(headers), rawBody: body, now }).ok).toBe(true);
  });

  it("rejects a repeated signature header as malformed", () => {
    const repeated = { ...headers, "X-VIZOCHOK-Signature": [headers["X-VIZOCHOK-Signature"], headers["X-VIZOCHOK-Signature"]] };
    expect(verifyWebhookSignature({ secrets: "s", headers: repeated, rawBody: body, now })).toMatchObject({
      ok: false,
      code: "malformed_signature",
    });
  });

  it("never throws: unusable options are a result naming the option and where the secret usually comes from", () => {
    const call = (options: unknown) => verifyWebhookSignature(options as Parameters<typeof verifyWebhookSignature>[0]);
    for (const secrets of [[], undefined, null, 42, ""]) {
      const result = call({ secrets, headers, rawBody: body, now });
      expect(result).toMatchObject({ ok: false, code: "invalid_options" });
      expect(result.ok === false && result.message).toMatch(/^secrets must be a non-empty string .*VIZOCHOK_WEBHOOK_SECRET/);
    }
    expect(call(undefined)).toMatchObject({ ok: false, code: "invalid_options" });
    expect(call({ secrets: "s", headers: undefined, rawBody: body, now })).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("headers") });
    expect(call({ secrets: "s", headers, rawBody: body, now, toleranceSeconds: Number.NaN })).toMatchObject({ ok: false, code: "invalid_options", message: "toleranceSeconds must be a finite number > 0, got the number NaN" });
    expect(call({ secrets: "s", headers, rawBody: body, now, toleranceSeconds: -1 })).toMatchObject({ ok: false, code: "invalid_options" });
    expect(call({ secrets: "s", headers: {}, rawBody: "", method: "GET", getSigning: "path-and-query", now })).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("needs url") });
    expect(() => signWebhook({ secret: "", body })).toThrow(/secret/);
  });

  it("a parsed body gets a result saying so, instead of a TypeError", () => {
    const result = verifyWebhookSignature({ secrets: "s", headers, rawBody: JSON.parse(body) as string, now });
    expect(result).toMatchObject({ ok: false, code: "parsed_body" });
    expect(result.ok === false && result.message).toContain("rawBody was provided as a parsed object");
  });

  it("accepts the router's option name, secret, for secrets", () => {
    const signed = signWebhook({ secret: "whsec_router", body, timestamp: now / 1000 });
    expect(verifyWebhookSignature({ secret: "whsec_router", headers: signed, rawBody: body, now })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verifyWebhookSignature({ secret: ["old", "whsec_router"], headers: signed, rawBody: body, now })).toMatchObject({ ok: true, secretIndex: 1 });
  });
});

describe("Web Crypto, where node:crypto is absent", () => {
  const body = '{"skus":["milk-001"],"store_id":"store-1"}';
  // A fresh copy of the kit's modules, loaded while the runtime offers no node:crypto (as in
  // workerd without nodejs_compat, or a browser-platform bundle).
  async function kitWithoutNodeCrypto() {
    const original = process.getBuiltinModule;
    vi.resetModules();
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    try {
      const crypto = await import("../../src/crypto.js");
      const signature = await import("../../src/signature.js");
      return { crypto, signature };
    } finally {
      process.getBuiltinModule = original;
    }
  }

  it("every vector gets the same verdict from verifyWebhookSignatureAsync on Web Crypto", async () => {
    const { crypto, signature } = await kitWithoutNodeCrypto();
    expect(crypto.nodeCrypto).toBeUndefined();
    for (const vector of file.vectors) {
      const options = { secrets: vector.secrets, headers: vector.headers, rawBody: new Uint8Array(bodyOf(vector)), method: vector.method, now: vector.now * 1000, ...(vector.url === undefined ? {} : { url: vector.url }), ...(vector.get_signing === undefined ? {} : { getSigning: vector.get_signing }) };
      const result = await signature.verifyWebhookSignatureAsync(options);
      if (vector.expected.valid) expect(result, vector.name).toMatchObject({ ok: true, secretIndex: vector.expected.secret_index });
      else expect(result, vector.name).toMatchObject({ ok: false, code: vector.expected.error });
    }
  });

  it("signWebhookAsync signs what node:crypto signs; the synchronous functions name the async ones", async () => {
    const { signature } = await kitWithoutNodeCrypto();
    const web = await signature.signWebhookAsync({ secret: "whsec_web", body, timestamp: 1_767_225_600 });
    expect(web).toEqual(signWebhook({ secret: "whsec_web", body, timestamp: 1_767_225_600 }));
    expect(() => signature.signWebhook({ secret: "whsec_web", body })).toThrow(/use signWebhookAsync/);
    expect(signature.verifyWebhookSignature({ secrets: "whsec_web", headers: web, rawBody: body, now: 1_767_225_600_000 })).toMatchObject({ ok: false, code: "invalid_options", message: expect.stringContaining("verifyWebhookSignatureAsync") });
  });

  it("the fetch handler verifies on Web Crypto: signed 200, one flipped byte 401", async () => {
    const original = process.getBuiltinModule;
    vi.resetModules();
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    let web: typeof import("../../src/adapters/web.js");
    try {
      web = await import("../../src/adapters/web.js");
    } finally {
      process.getBuiltinModule = original;
    }
    const handle = web.createWebWebhookHandler({ secret: "whsec_web", handlers: { products: ({ skus }) => ({ products: skus.map((sku) => ({ sku, price: 1, in_stock: true })) }) }, logger: { info() {}, warn() {}, error() {} } });
    const send = (text: string) => handle(new Request("http://shop/check-products", { method: "POST", body: text, headers: { "content-type": "application/json", ...signWebhook({ secret: "whsec_web", body }) } }));
    expect((await send(body)).status).toBe(200);
    const tampered = await send(body.replace("store-1", "store-2"));
    expect([tampered.status, ((await tampered.json()) as { error: string }).error]).toEqual([401, "signature_mismatch"]);
  });
});
