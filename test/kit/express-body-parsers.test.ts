import express from "express";
import supertest from "supertest";
import { describe, expect, it } from "vitest";
import { captureRawBody, createWebhookRouter } from "vizochok-merchant-kit";
import { NOW, SECRET, cartBody, createRecordingMerchant, signedGet, signedPost, silent } from "./merchant.js";

// `\/` escapes vanish when JSON is re-serialized, so only the raw bytes verify this body.
const escapedBody = cartBody({ action: "add", sku: "bread-001", name: "Bread \\/ Хліб" }).replace("\\\\/", "\\/");

function appWith(parser: express.RequestHandler | undefined) {
  const merchant = createRecordingMerchant();
  const app = express();
  if (parser !== undefined) app.use(parser);
  app.use("/api/vizochok", createWebhookRouter({ secret: SECRET, handlers: merchant.handlers, now: () => NOW, logger: silent }));
  return { agent: supertest(app), merchant };
}

describe("createWebhookRouter() behind other body parsers", () => {
  it("the escaped test body really contains \\/ (re-serializing would change it)", () => {
    expect(escapedBody).toContain("\\/");
    expect(JSON.stringify(JSON.parse(escapedBody))).not.toBe(escapedBody);
  });

  it("500 body_already_parsed, naming the fix, when a global express.json() ate the body", async () => {
    const { agent, merchant } = appWith(express.json());
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody).timeout(5000);
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("body_already_parsed");
    expect(res.body.message).toContain("captureRawBody");
    expect(merchant.calls).toHaveLength(0);
  });

  it("verifies the original bytes with express.json({ verify: captureRawBody })", async () => {
    const { agent, merchant } = appWith(express.json({ verify: captureRawBody }));
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect(merchant.calls[0]!.request).toMatchObject({ name: "Bread / Хліб" });
  });

  it("verifies the original bytes behind express.raw()", async () => {
    const { agent } = appWith(express.raw({ type: "application/json" }));
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody);
    expect(res.body).toEqual({ ok: true });
  });

  it("still rejects a tampered body when the raw bytes come from captureRawBody", async () => {
    const { agent } = appWith(express.json({ verify: captureRawBody }));
    const res = await agent
      .post("/api/vizochok/cart")
      .set(signedPost(escapedBody))
      .send(escapedBody.replace("bread-001", "bread-002"));
    expect(res.status).toBe(401);
  });

  it("cart GET works behind a global express.json() (a GET has no body to lose)", async () => {
    const { agent } = appWith(express.json());
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=s").set(signedGet());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });
});
