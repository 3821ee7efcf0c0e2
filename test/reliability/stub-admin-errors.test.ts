// The stub's admin API answers client mistakes with 4xx and its JSON error body; the key is
// checked before anything else about the request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVizochokStub, type VizochokStub } from "vizochok-merchant-kit/testing";
import { rawRequest, sendRaw } from "./raw-http.js";

let stub: VizochokStub;
beforeAll(async () => {
  stub = await createVizochokStub({
    tenants: [{ id: "t", publicKey: "pk_t", secretKey: "sk_t", stores: ["s"], webhooks: { products_url: "http://127.0.0.1:9/p", secret: "whsec_t" } }],
  });
});
afterAll(() => stub.close());

const KEY = { authorization: "Bearer sk_t" };

// Node's HTTP parser itself answers a bare `%` target with 400 before any handler runs; these reach the API.
const HOSTILE = ["//[", "http://[", "/%", "/%E0%A4%A", "/".repeat(8 * 1024)];

describe("stub admin API: client mistakes", () => {
  it("400 invalid_request for a badly %-encoded job id", async () => {
    const answer = await sendRaw(stub.url, rawRequest("GET", "/api/v1/catalog/jobs/%E0%A4%A", { headers: KEY }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", message: "the job id is not valid percent-encoding" });
  });

  for (const target of [...HOSTILE, "/api/v1/catalog/jobs/%E0%A4%A", "/nowhere"]) {
    it(`401 unauthorized for ${JSON.stringify(target.slice(0, 20))} without a key`, async () => {
      const answer = await sendRaw(stub.url, rawRequest("GET", target));
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toEqual({ error: "unauthorized", message: "Authorization: Bearer sk_… is required" });
    });
  }

  for (const target of HOSTILE) {
    it(`404 not_found for ${JSON.stringify(target.slice(0, 20))} with a key`, async () => {
      const answer = await sendRaw(stub.url, rawRequest("GET", target, { headers: KEY }));
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "not_found" });
    });
  }

  it("400 invalid_request when the body stops halfway, and the next request is answered", async () => {
    const head = rawRequest("PUT", "/api/v1/catalog/products", { headers: { ...KEY, "content-length": "100", "content-type": "application/json" } });
    const half = await sendRaw(stub.url, head + '{"products": [', { timeoutMs: 300 });
    // The client gave up: whatever the stub wrote, it did not fail with a 5xx.
    expect(half.status === undefined || half.status < 500).toBe(true);
    const ok = await fetch(`${stub.url}/api/v1/admin/webhooks`, { headers: KEY });
    expect(ok.status).toBe(200);
  });
});
