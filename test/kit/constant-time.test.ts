// Constant time cannot be seen in a verdict (`Buffer.equals` gives the same answers), so these
// tests look at the comparison itself: on Node every digest is compared by timingSafeEqual.
import { afterEach, describe, expect, it, vi } from "vitest";
import { equalSync, nodeCrypto } from "../../src/crypto.js";
import { createVerifier } from "../../src/core/verification.js";
import { NOW, SECRET, productsBody, signedPost } from "./merchant.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("digest comparison on Node", () => {
  afterEach(() => vi.restoreAllMocks());

  it("the verifier answers synchronously: node:crypto is found and used", () => {
    expect(typeof nodeCrypto?.timingSafeEqual).toBe("function");
    const verify = createVerifier({ secrets: [SECRET], bodyLimit: 1000, toleranceSeconds: 300, getSigning: "empty-body", now: () => NOW });
    const body = productsBody();
    const result = verify({ method: "POST", target: "/check-products", headers: signedPost(body), rawBody: bytes(body) });
    expect(result).toMatchObject({ ok: true, delivery: { secretIndex: 0 } });
  });

  it("compares the expected and the received digest with timingSafeEqual, once per secret tried", () => {
    const compare = vi.spyOn(nodeCrypto!, "timingSafeEqual");
    const verify = createVerifier({ secrets: ["whsec_new", SECRET], bodyLimit: 1000, toleranceSeconds: 300, getSigning: "empty-body", now: () => NOW });
    const body = productsBody();
    const headers = signedPost(body);
    const result = verify({ method: "POST", target: "/check-products", headers, rawBody: bytes(body) });
    expect(result).toMatchObject({ ok: true, delivery: { secretIndex: 1 } });
    expect(compare).toHaveBeenCalledTimes(2);
    const received = Buffer.from(headers["X-VIZOCHOK-Signature"]!.slice("sha256=".length), "hex");
    for (const [expected, given] of compare.mock.calls) {
      expect([Buffer.from(expected as Uint8Array).byteLength, Buffer.from(given as Uint8Array).equals(received)]).toEqual([32, true]);
    }
  });

  it("equalSync is false for digests of different lengths instead of throwing", () => {
    const compare = vi.spyOn(nodeCrypto!, "timingSafeEqual");
    expect(equalSync(new Uint8Array(32), new Uint8Array(31))).toBe(false);
    expect(compare).not.toHaveBeenCalled();
    expect(equalSync(new Uint8Array(32), new Uint8Array(32))).toBe(true);
    expect(equalSync(new Uint8Array(32), new Uint8Array(32).fill(1))).toBe(false);
  });
});
