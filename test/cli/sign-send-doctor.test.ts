import { createServer } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookRouter, silentLogger, verifyWebhookSignature } from "vizochok-merchant-kit";
import { runCli } from "../../src/cli/main.js";
import { formatMs } from "../../src/contract/reporters/pretty.js";
import { BASE_PATH, createBrokenMerchantServer } from "../contract/broken-merchants.js";
import { createMemoryMerchant, MEMORY_SECRET } from "../contract/memory-merchant.js";
import { listen } from "../contract/serve.js";
import { createFakeIo } from "./fake-io.js";

const NOW = 1_767_225_600_000;

describe("formatMs(), the latency send and doctor print", () => {
  it.each([
    [4.26, "4.3 ms"],
    [42.4, "42 ms"],
    [999, "999 ms"],
    [1_000, "1.00 s"],
    [1_020, "1.02 s"],
    [12_340, "12.34 s"],
  ])("%d ms → %s", (ms, printed) => {
    expect(formatMs(ms)).toBe(printed);
  });
});

describe("vizochok-kit sign", () => {
  it("prints headers that verify over the exact stdin bytes", async () => {
    const body = '{"skus":["milk-001"],"store_id":"store-1"}\n';
    const io = createFakeIo({ stdin: body, now: () => NOW });
    expect(await runCli(["sign", "--secret", MEMORY_SECRET], io)).toBe(0);
    const headers = Object.fromEntries(io.out().trim().split("\n").map((line) => line.split(": ") as [string, string]));
    expect(headers["X-VIZOCHOK-Timestamp"]).toBe(String(NOW / 1000));
    expect(verifyWebhookSignature({ secrets: MEMORY_SECRET, headers, rawBody: body, now: NOW })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secrets: MEMORY_SECRET, headers, rawBody: body.trim(), now: NOW })).toMatchObject({ ok: false, code: "signature_mismatch" });
  });

  it("signs an empty body for a cart GET with --get and honours --timestamp", async () => {
    const io = createFakeIo();
    expect(await runCli(["sign", "--get", "--timestamp", "1767225600"], { ...io, env: { VIZOCHOK_WEBHOOK_SECRET: MEMORY_SECRET } })).toBe(0);
    const headers = Object.fromEntries(io.out().trim().split("\n").map((line) => line.split(": ") as [string, string]));
    expect(verifyWebhookSignature({ secrets: MEMORY_SECRET, headers, rawBody: "", method: "GET", now: NOW })).toMatchObject({ ok: true });
  });

  it("exits 2 when nothing is piped in", async () => {
    const io = createFakeIo();
    expect(await runCli(["sign", "--secret", "s"], io)).toBe(2);
    expect(io.err()).toContain("pipe the body on stdin (or pass --get to sign a cart GET)");
  });
});

describe("vizochok-kit send and doctor", () => {
  let merchant: Awaited<ReturnType<typeof listen>>;
  let unverified: Awaited<ReturnType<typeof listen>>;
  let skewed: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const router = createWebhookRouter({ secret: MEMORY_SECRET, handlers: createMemoryMerchant().handlers, logger: silentLogger });
    merchant = await listen(createServer(express().use(BASE_PATH, router)));
    unverified = await listen(createBrokenMerchantServer("no-signature-check"));
    const ahead = express()
      .use((_request, response, next) => {
        response.setHeader("date", new Date(Date.now() + 600_000).toUTCString());
        next();
      })
      .use(BASE_PATH, createWebhookRouter({ secret: MEMORY_SECRET, handlers: createMemoryMerchant().handlers, logger: silentLogger }));
    skewed = await listen(createServer(ahead));
  });
  afterAll(async () => {
    await Promise.all([merchant?.close(), unverified?.close(), skewed?.close()]);
  });

  const send = async (argv: string[]) => {
    const io = createFakeIo();
    const code = await runCli(["send", ...argv, "--url", `${merchant.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET], io);
    return { code, out: io.out() };
  };

  it("sends a signed products check and prints the status, latency and body", async () => {
    const { code, out } = await send(["products", "--sku", "milk-001", "--sku", "nope"]);
    expect(code).toBe(0);
    const [request, status, ...body] = out.trim().split("\n");
    expect(request).toBe(`POST ${merchant.origin}/api/vizochok/check-products`);
    // Under a second in ms, from a second on in s (a slow call on a loaded machine prints "1.02 s").
    expect(status).toMatch(/^200 in (\d+(\.\d)? ms|\d+\.\d\d s)$/);
    expect(JSON.parse(body.join("\n"))).toEqual({ products: [{ sku: "milk-001", price: 42.5, in_stock: true, promo_price: 38.9 }] });
  });

  it("adds to a cart and reads it back with cart-get", async () => {
    expect((await send(["cart", "--sku", "milk-001", "--quantity", "2", "--session", "cli-1"])).out).toContain('"ok": true');
    const { code, out } = await send(["cart-get", "--session", "cli-1"]);
    expect(code).toBe(0);
    expect(out).toContain(`GET ${merchant.origin}/api/vizochok/cart/items?store_id=store-1&session_id=cli-1`);
    expect(JSON.parse(out.slice(out.indexOf("{")))).toEqual({ items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 2 }] });
  });

  it("exits 1 and shows the 401 when --timestamp-offset puts the signature outside the window", async () => {
    const { code, out } = await send(["products", "--sku", "milk-001", "--timestamp-offset=-301"]);
    expect(code).toBe(1);
    expect(out).toMatch(/^401 in /m);
    expect(out).toContain('"error": "timestamp_too_old"');
  });

  it("exits 1 on a 404 and says --url must be the webhooks' base path", async () => {
    const io = createFakeIo();
    const code = await runCli(["send", "products", "--sku", "milk-001", "--url", merchant.origin, "--secret", MEMORY_SECRET], io);
    expect(code).toBe(1);
    expect(io.out()).toMatch(/^404 in /m);
    expect(io.err()).toBe(`vizochok-kit send: no webhook at ${merchant.origin}/check-products; --url must be the base path the three webhooks live under, e.g. http://127.0.0.1:8080/api/vizochok\n`);
  });

  it("sends a --body exactly as given", async () => {
    const { code, out } = await send(["cart", "--body", "{not json"]);
    expect(code).toBe(0);
    expect(out).toContain('"reason": "missing_params"');
  });

  it("doctor: a healthy local backend has only the production-URL warning", async () => {
    const io = createFakeIo();
    const code = await runCli(["doctor", "--url", `${merchant.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET, "--in-stock-sku", "milk-001"], io);
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toContain(`WARN production URL: ${merchant.origin}/api/vizochok: must use HTTPS`);
    expect(out).toMatch(/^OK {3}products webhook: 200 in .* \(budget 5 s\)$/m);
    expect(out).toMatch(/^OK {3}cart webhook: 200/m);
    expect(out).toMatch(/^OK {3}cart GET webhook: 200/m);
    expect(out).toContain("OK   clock skew: the server's clock is within a second of this machine's");
    expect(out).toContain("OK   signature enforcement: an unsigned request was refused with 401");
    expect(out).toContain("OK   signature enforcement: a request signed 301 s ago was refused with 401");
    expect(out).toContain("0 failed, 1 warnings, 6 ok");
  });

  it("doctor: a backend that verifies nothing fails with the fix", async () => {
    const io = createFakeIo();
    const code = await runCli(["doctor", "--url", `${unverified.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET], io);
    expect(code).toBe(1);
    expect(io.out()).toContain("FAIL signature enforcement: an unsigned request was answered 200");
    expect(io.out()).toContain("FAIL signature enforcement: a request signed 301 s ago was answered 200");
    expect(io.out()).toContain('     fix: verify HMAC-SHA256 of "{timestamp}.{raw body}" and reject when |now - timestamp| > 300 s, before acting');
  });

  it("doctor: a server clock 10 minutes ahead fails with the NTP fix", async () => {
    const io = createFakeIo();
    expect(await runCli(["doctor", "--url", `${skewed.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET], io)).toBe(1);
    expect(io.out()).toMatch(/^FAIL clock skew: the server's clock is (599|600|601) s ahead of this machine's$/m);
    expect(io.out()).toContain("fix: run NTP on the server (chrony or systemd-timesyncd)");
  });

  it("doctor: a wrong secret is named as the problem", async () => {
    const io = createFakeIo();
    expect(await runCli(["doctor", "--url", `${merchant.origin}${BASE_PATH}`, "--secret", "whsec_wrong"], io)).toBe(1);
    expect(io.out()).toContain("FAIL products webhook: a correctly signed request was refused (401 in");
    expect(io.out()).toContain("fix: use the same secret on both sides");
  });

  it("doctor: an unreachable backend is one line naming host and port, with no clock or signature findings", async () => {
    const closed = await listen(createServer());
    await closed.close();
    const io = createFakeIo();
    expect(await runCli(["doctor", "--url", `${closed.origin}${BASE_PATH}`, "--secret", "s"], io)).toBe(1);
    const port = new URL(closed.origin).port;
    expect(io.out()).toContain(`FAIL products webhook: cannot reach 127.0.0.1:${port} (ECONNREFUSED)\n     fix: start the backend, or check the host and port in --url\n`);
    expect(io.out()).not.toContain("Date header");
    expect(io.out()).not.toContain("signature enforcement");
    expect(io.out()).toContain("1 failed, 1 warnings, 0 ok");
  });
});

describe("--help", () => {
  it.each(["contract", "send", "sign", "doctor"])("vizochok-kit %s --help prints its usage and exits 0", async (command) => {
    const io = createFakeIo();
    expect(await runCli([command, "--help"], io)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^vizochok-kit ${command} `));
    expect(io.out()).toContain("-h, --help");
  });

  it("vizochok-kit --help lists the commands; no command is a usage error", async () => {
    const help = createFakeIo();
    expect(await runCli(["--help"], help)).toBe(0);
    for (const command of ["contract", "send", "sign", "doctor"]) expect(help.out()).toMatch(new RegExp(`^  ${command} `, "m"));
    const none = createFakeIo();
    expect(await runCli([], none)).toBe(2);
    expect(none.err()).toContain("Usage: vizochok-kit <command> [options]");
    const unknown = createFakeIo();
    expect(await runCli(["deploy"], unknown)).toBe(2);
    expect(unknown.err()).toContain('unknown command "deploy"');
  });
});
