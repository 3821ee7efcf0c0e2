// What signWebhook and verifyWebhookSignature answer at their edges: each failure's code and
// message, each option they refuse, the method and target a signature covers, and header values
// in the shapes Node and the Fetch API hand over. Signatures are checked against node:crypto alone.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, signWebhookAsync, verifyWebhookSignature, type VerifyWebhookSignatureOptions } from "vizochok-merchant-kit";
import { verifySignatureWeb } from "../../src/signature.js";
import { NOW, SECRET } from "./merchant.js";

const TS = NOW / 1000;
const body = '{"skus":["milk-001"],"store_id":"store-1"}';
/** The signature header for `"{timestamp}.{payload}"`, computed with node:crypto alone. */
const hmac = (payload: string, timestamp: number | string = TS, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex")}`;
const headersFor = (signature: string, timestamp: string | string[] = String(TS)) => ({ "x-vizochok-signature": signature, "x-vizochok-timestamp": timestamp });
const verify = (fields: Partial<VerifyWebhookSignatureOptions>) =>
  verifyWebhookSignature({ secrets: SECRET, headers: headersFor(hmac(body)), rawBody: body, now: NOW, ...fields });

describe("signWebhook()", () => {
  it("signs a GET over the empty body, a POST over its body; path-and-query signs a GET's path and query only", () => {
    expect(signWebhook({ secret: SECRET, timestamp: TS })["X-VIZOCHOK-Signature"]).toBe(hmac(""));
    expect(signWebhook({ secret: SECRET, timestamp: TS, body })["X-VIZOCHOK-Signature"]).toBe(hmac(body));
    const target = "/cart/items?store_id=store-1&session_id=s-1";
    expect(signWebhook({ secret: SECRET, timestamp: TS, url: target, getSigning: "path-and-query" })["X-VIZOCHOK-Signature"]).toBe(hmac(target));
    expect(signWebhook({ secret: SECRET, timestamp: TS, url: `https://shop.example${target}`, getSigning: "path-and-query" })["X-VIZOCHOK-Signature"]).toBe(hmac(target));
    // A body makes it a POST, whose signature covers the body whatever the target.
    expect(signWebhook({ secret: SECRET, timestamp: TS, body, url: target, getSigning: "path-and-query" })["X-VIZOCHOK-Signature"]).toBe(hmac(body));
  });

  it("signWebhookAsync signs exactly as signWebhook", async () => {
    expect(await signWebhookAsync({ secret: SECRET, timestamp: TS, body })).toEqual(signWebhook({ secret: SECRET, timestamp: TS, body }));
  });

  it("signs at timestamp 0; refuses a negative or fractional timestamp, an empty or missing secret, a path-and-query GET without its url", () => {
    expect(signWebhook({ secret: SECRET, timestamp: 0, body })).toEqual({ "X-VIZOCHOK-Signature": hmac(body, 0), "X-VIZOCHOK-Timestamp": "0" });
    const timestampError = "signWebhook: timestamp must be a non-negative integer (unix seconds)";
    expect(() => signWebhook({ secret: SECRET, timestamp: -1, body })).toThrow(new TypeError(timestampError));
    expect(() => signWebhook({ secret: SECRET, timestamp: TS + 0.5, body })).toThrow(new TypeError(timestampError));
    expect(() => signWebhook({ secret: "", body })).toThrow(new TypeError("signWebhook: secret must be a non-empty string"));
    expect(() => signWebhook(undefined as never)).toThrow(new TypeError("signWebhook: secret must be a non-empty string"));
    expect(() => signWebhook({ secret: SECRET, getSigning: "path-and-query" })).toThrow(new TypeError('getSigning "path-and-query" needs the request url'));
  });
});

describe("verifyWebhookSignature() answers", () => {
  it("verifies at timestamp 0 with the clock at 0", () => {
    const signed = signWebhook({ secret: SECRET, timestamp: 0, body });
    expect(verify({ headers: signed, now: 0 })).toMatchObject({ ok: true, timestamp: 0 });
  });

  it.each([
    ["no signature", { "x-vizochok-timestamp": String(TS) }, "missing_signature", "X-VIZOCHOK-Signature header is missing"],
    ["no timestamp", { "x-vizochok-signature": hmac(body) }, "missing_timestamp", "X-VIZOCHOK-Timestamp header is missing"],
    ["a non-hex digit", headersFor(`sha256=${"g".repeat(64)}`), "malformed_signature", 'X-VIZOCHOK-Signature must be "sha256=" followed by 64 hex digits'],
    ["two signature headers", { ...headersFor(hmac(body)), "x-vizochok-signature": [hmac(body), hmac(body)] }, "malformed_signature", 'X-VIZOCHOK-Signature must be "sha256=" followed by 64 hex digits'],
    ["two timestamp headers", headersFor(hmac(body), [String(TS), String(TS)]), "malformed_timestamp", "X-VIZOCHOK-Timestamp must be unix seconds"],
    ["a timestamp with a letter", headersFor(hmac(body), "17672256OO"), "malformed_timestamp", "X-VIZOCHOK-Timestamp must be unix seconds"],
    ["a timestamp 301 s old", headersFor(hmac(body, TS - 301), String(TS - 301)), "timestamp_too_old", "timestamp is more than 300 s in the past"],
    ["a timestamp 301 s ahead", headersFor(hmac(body, TS + 301), String(TS + 301)), "timestamp_too_new", "timestamp is more than 300 s in the future"],
    ["another secret's signature", headersFor(hmac(body, TS, "whsec_other")), "signature_mismatch", "signature does not match the request body"],
  ])("%s: %s", (_name, headers, code, message) => {
    expect(verify({ headers })).toEqual({ ok: false, code, message });
  });

  it("reads header values trimmed, from a Fetch Headers, any object with get(), a record, or a one-element array", () => {
    const signature = hmac(body);
    expect(verify({ headers: new Headers({ "X-VIZOCHOK-Signature": ` ${signature} `, "X-VIZOCHOK-Timestamp": ` ${TS} ` }) })).toMatchObject({ ok: true });
    // Any object with get() is read as a Fetch Headers; its values are trimmed too.
    const padded = new Map([["x-vizochok-signature", ` ${signature} `], ["x-vizochok-timestamp", ` ${TS} `]]);
    expect(verify({ headers: { get: (name: string) => padded.get(name) ?? null } })).toMatchObject({ ok: true });
    expect(verify({ headers: headersFor(` ${signature} `, ` ${TS} `) })).toMatchObject({ ok: true });
    expect(verify({ headers: { "x-vizochok-signature": [` ${signature} `], "x-vizochok-timestamp": [` ${TS}`] } })).toMatchObject({ ok: true });
  });

  it("a character past ASCII in place of a hex digit is malformed, never read as a digit", () => {
    const signature = hmac(body);
    for (const digit of ["0", "1"]) {
      const at = signature.indexOf(digit, 7);
      expect(at).toBeGreaterThan(6);
      const forged = `${signature.slice(0, at)}\u0080${signature.slice(at + 1)}`;
      expect(verify({ headers: headersFor(forged) })).toMatchObject({ ok: false, code: "malformed_signature" });
    }
  });

  it("an upper-case signature verifies and is reported in lower case", () => {
    const signature = hmac(body);
    const upper = `sha256=${signature.slice(7).toUpperCase()}`;
    expect(verify({ headers: headersFor(upper) })).toEqual({ ok: true, secretIndex: 0, timestamp: TS, signature: signature.slice(7) });
  });

  it("takes the secrets under `secrets` or `secret`, and names the one it refuses", () => {
    expect(verifyWebhookSignature({ secrets: SECRET, headers: headersFor(hmac(body)), rawBody: body, now: NOW })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verifyWebhookSignature({ secrets: ["whsec_new", SECRET], headers: headersFor(hmac(body)), rawBody: body, now: NOW })).toMatchObject({ ok: true, secretIndex: 1 });
    expect(verifyWebhookSignature({ secret: SECRET, headers: headersFor(hmac(body)), rawBody: body, now: NOW })).toMatchObject({ ok: true, secretIndex: 0 });
    // Given both, `secrets` is the one read (and named when refused).
    expect(verifyWebhookSignature({ secrets: SECRET, secret: "whsec_other", headers: headersFor(hmac(body)), rawBody: body, now: NOW })).toMatchObject({ ok: true, secretIndex: 0 });
    const both = verifyWebhookSignature({ secrets: [], secret: SECRET, headers: headersFor(hmac(body)), rawBody: body, now: NOW });
    expect(both.ok === false && both.message).toMatch(/^secrets /);
    const refused = verifyWebhookSignature({ secrets: [], headers: headersFor(hmac(body)), rawBody: body, now: NOW });
    expect(refused).toMatchObject({ ok: false, code: "invalid_options" });
    expect(refused.ok === false && refused.message).toMatch(/^secrets /);
  });

  it.each([
    ["options that are not an object", null, "invalid_options", "verifyWebhookSignature takes one options object: { secrets, headers, rawBody }"],
    ["a parsed body", { rawBody: { skus: [] } }, "parsed_body", "rawBody was provided as a parsed object; the signature covers the raw bytes: pass the body exactly as received (a string or bytes), before any JSON parsing"],
    ["a null body", { rawBody: null }, "invalid_options", "rawBody must be the body exactly as received, a string or bytes (empty for GET), got null"],
    ["a number as the body", { rawBody: 42 }, "invalid_options", "rawBody must be the body exactly as received, a string or bytes (empty for GET), got the number 42"],
    ["null headers", { headers: null }, "invalid_options", "headers must be the request's headers, got null"],
    ["a clock reading NaN", { now: Number.NaN }, "invalid_options", "now must be a finite number of milliseconds, got the number NaN"],
    ["a clock reading a string", { now: () => "1767225600000" }, "invalid_options", "now must be a finite number of milliseconds, got a string"],
    ["a method that is not a string", { method: 42 }, "invalid_options", "method must be a string, got the number 42"],
    ["an unknown getSigning", { getSigning: "path" }, "invalid_options", 'getSigning must be "empty-body" or "path-and-query", got a string'],
    ["a path-and-query GET without its url", { method: "GET", getSigning: "path-and-query" }, "invalid_options", 'getSigning "path-and-query" needs url: the request target (/path?query) or an absolute URL'],
  ])("%s: %s", (_name, fields, code, message) => {
    const options = fields === null ? null : { secrets: SECRET, headers: headersFor(hmac(body)), rawBody: body, now: NOW, ...fields };
    expect(verifyWebhookSignature(options as never)).toEqual({ ok: false, code, message });
  });

  it("getSigning named explicitly; a GET without a url under empty-body; a POST without a url under path-and-query", () => {
    expect(verify({ getSigning: "empty-body" })).toMatchObject({ ok: true });
    expect(verify({ getSigning: "path-and-query" })).toMatchObject({ ok: true });
    expect(verify({ method: "GET", rawBody: "", headers: headersFor(hmac("")) })).toMatchObject({ ok: true });
    const target = "/cart/items?store_id=store-1";
    expect(verify({ method: "GET", rawBody: "", url: `https://shop.example${target}`, getSigning: "path-and-query", headers: headersFor(hmac(target)) })).toMatchObject({ ok: true });
  });
});

describe("verifySignatureWeb()", () => {
  const request = { headers: headersFor(hmac(body)), rawBody: body };
  it("takes one secret as a string or a list, and names the one that verified", async () => {
    expect(await verifySignatureWeb(SECRET, request, "empty-body", 300, NOW)).toEqual({ ok: true, secretIndex: 0, timestamp: TS, signature: hmac(body).slice(7) });
    expect(await verifySignatureWeb(["whsec_new", SECRET], request, "empty-body", 300, NOW)).toMatchObject({ ok: true, secretIndex: 1 });
    expect(await verifySignatureWeb(["whsec_new"], request, "empty-body", 300, NOW)).toEqual({
      ok: false,
      code: "signature_mismatch",
      message: "signature does not match the request body",
    });
  });
});
