// A failure inside the stub's chat handling ends one turn or one connection, never the process.
import { afterEach, describe, expect, it } from "vitest";
import { createVizochokStub, type Agent, type VizochokStub } from "vizochok-merchant-kit/testing";
import { openRaw } from "../stub/raw-socket.js";

const product = { sku: "milk-1", name: "Milk", unit: "pcs" };
let stub: VizochokStub | undefined;
afterEach(() => stub?.close());

async function start(agent: Agent) {
  stub = await createVizochokStub({
    agent,
    tenants: [{ id: "t", publicKey: "pk_t", secretKey: "sk_t", stores: ["s"], catalog: [product], webhooks: { products_url: "http://127.0.0.1:9/p", secret: "whsec_t" } }],
  });
  return stub;
}

describe("stub chat entry points", () => {
  it("an agent that throws before its first await: internal_error on that socket, the next turn is answered", async () => {
    let calls = 0;
    const { wsUrl } = await start({
      // Not async on purpose: the throw happens while the turn is being started.
      respond() {
        calls++;
        if (calls === 1) throw new Error("agent bug");
        return Promise.resolve();
      },
    });
    const socket = await openRaw(wsUrl);
    socket.send({ type: "auth", token: "pk_t", store_id: "s", user_id: "u1" });
    await socket.next("auth_ok");
    socket.send({ type: "message", text: "hello" });
    expect(await socket.next("error")).toMatchObject({ code: "internal_error" });
    const before = socket.frames.length;
    socket.send({ type: "message", text: "hello again" });
    expect(await socket.next("response_complete", before)).toMatchObject({ type: "response_complete" });
    expect(calls).toBe(2);
    socket.ws.close();
  });
});
