// The headless widget client: back-off, final close codes, client-side errors, callbacks.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  FINAL_CLOSE_CODES,
  createWidgetClient,
  reconnectDelay,
  type WidgetError,
} from "vizochok-merchant-kit/testing";
import { createManualTimers } from "./raw-socket.js";

let server: Server | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of wss?.clients ?? []) client.terminate();
  wss?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  wss = undefined;
});

/** A server that closes every connection with `code` right after the first frame. */
async function closingServer(code: number): Promise<{ url: string; connections: () => number }> {
  server = createServer();
  wss = new WebSocketServer({ server });
  let connections = 0;
  wss.on("connection", (ws) => {
    connections++;
    ws.once("message", () => ws.close(code));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

describe("reconnectDelay()", () => {
  it("doubles from 1 s up to 10 s, with ±25 % jitter", () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => reconnectDelay(attempt, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
    expect(reconnectDelay(0, () => 0)).toBe(750);
    expect(reconnectDelay(0, () => 1)).toBe(1250);
  });
});

describe("createWidgetClient()", () => {
  it.each([...FINAL_CLOSE_CODES])("does not reconnect after close code %i", async (code) => {
    const { url, connections } = await closingServer(code);
    const timers = createManualTimers();
    const errors: WidgetError[] = [];
    const client = createWidgetClient({ url, publicKey: "pk_x", storeId: "s", timers, onError: (e) => errors.push(e) });
    await expect(client.connect()).rejects.toMatchObject({ code: code === 4001 ? "auth_timeout" : "auth_error" });
    expect(errors).toEqual([expect.objectContaining({ close_code: code })]);
    expect(connections()).toBe(1);
    await expect(client.send("hi")).rejects.toMatchObject({ code: "connection_lost" });
  });

  it("reconnects after 4029 with the documented back-off, and gives up with max_reconnect", async () => {
    const { url, connections } = await closingServer(4029);
    const timers = createManualTimers();
    const delays: number[] = [];
    const recording = { ...timers, setTimeout: (cb: () => void, ms: number) => (delays.push(ms), timers.setTimeout(cb, ms)) };
    const client = createWidgetClient({ url, publicKey: "pk_x", storeId: "s", timers: recording, random: () => 0.5, maxReconnectAttempts: 3 });
    const connecting = client.connect();
    for (const ms of [1000, 2000, 4000]) {
      await expect.poll(() => timers.count(ms)).toBe(1);
      timers.fire(ms);
    }
    await expect(connecting).rejects.toMatchObject({ code: "max_reconnect" });
    expect(connections()).toBe(4);
    expect(delays).toEqual([1000, 2000, 4000]);
  });

  it("refuses a message over 64 KB and more than maxQueue waiting turns", async () => {
    const { url } = await closingServer(4029);
    const timers = createManualTimers();
    const errors: string[] = [];
    const client = createWidgetClient({ url, publicKey: "pk_x", storeId: "s", timers, maxQueue: 1, onError: (e) => errors.push(e.code) });
    await expect(client.send("x".repeat(70_000))).rejects.toMatchObject({ code: "message_too_large" });
    const waiting = [client.send("one"), client.send("two")];
    await expect(client.send("three")).rejects.toMatchObject({ code: "queue_full" });
    expect(errors).toEqual(["message_too_large", "queue_full"]);
    await client.close();
    void Promise.allSettled(waiting);
  });

  it("onProductClick receives the clicked card", () => {
    const clicked: string[] = [];
    const client = createWidgetClient({ url: "ws://127.0.0.1:9", publicKey: "pk_x", storeId: "s", onProductClick: (item) => clicked.push(item.sku) });
    client.clickProduct({ sku: "milk-001", name: "Milk", price: 1, unit: "pcs", quantity_step: 1, brand: null, image_url: null, promo_price: null });
    expect(clicked).toEqual(["milk-001"]);
  });
});
