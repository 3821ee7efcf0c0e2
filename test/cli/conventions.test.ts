import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookRouter, silentLogger } from "vizochok-merchant-kit";
import { runCli } from "../../src/cli/main.js";
import { webhookUrlProblem } from "../../src/testing/platform/url-policy.js";
import { BASE_PATH } from "../contract/broken-merchants.js";
import { createMemoryMerchant, MEMORY_SECRET } from "../contract/memory-merchant.js";
import { listen } from "../contract/serve.js";
import { createFakeIo } from "./fake-io.js";

const root = new URL("../../", import.meta.url);
const version = (JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string }).version;

describe("vizochok-kit conventions", () => {
  let merchant: Awaited<ReturnType<typeof listen>>;
  let closedPort: number;
  beforeAll(async () => {
    merchant = await listen(createServer(express().use(BASE_PATH, createWebhookRouter({ secret: MEMORY_SECRET, handlers: createMemoryMerchant().handlers, logger: silentLogger }))));
    const closed = await listen(createServer());
    closedPort = Number(new URL(closed.origin).port);
    await closed.close();
  });
  afterAll(() => merchant?.close());

  it("--version prints the package's version", async () => {
    const io = createFakeIo();
    expect(await runCli(["--version"], io)).toBe(0);
    expect(io.out()).toBe(`${version}\n`);
  });

  it("send --json writes exactly one JSON object to stdout", async () => {
    const io = createFakeIo();
    const code = await runCli(["send", "products", "--sku", "milk-001", "--json", "--url", `${merchant.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET], io);
    expect(code).toBe(0);
    const printed = JSON.parse(io.out()) as Record<string, unknown>;
    expect(printed).toMatchObject({ method: "POST", url: `${merchant.origin}/api/vizochok/check-products`, status: 200, body: { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] } });
    expect(typeof printed.latencyMs).toBe("number");
  });

  it("doctor --json writes only JSON: the findings with their levels", async () => {
    const io = createFakeIo();
    const code = await runCli(["doctor", "--json", "--url", `${merchant.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET, "--in-stock-sku", "milk-001"], io);
    expect(code).toBe(0);
    const printed = JSON.parse(io.out()) as { ok: boolean; findings: { level: string; check: string }[] };
    expect(printed.ok).toBe(true);
    expect(printed.findings.map((finding) => finding.check)).toContain("signature enforcement");
    expect(printed.findings.find((finding) => finding.check === "production URL")).toMatchObject({ level: "warn" });
  });

  it("takes --url and --secret from VIZOCHOK_WEBHOOK_URL and VIZOCHOK_WEBHOOK_SECRET", async () => {
    const io = createFakeIo({ env: { VIZOCHOK_WEBHOOK_URL: `${merchant.origin}${BASE_PATH}`, VIZOCHOK_WEBHOOK_SECRET: MEMORY_SECRET } });
    expect(await runCli(["send", "cart-get", "--session", "env-1", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ status: 200, body: { items: [] } });
  });

  it.each([["contract"], ["send", "products", "--sku", "a"], ["doctor"]])("%s: --url without a scheme is a usage error (exit 2)", async (...argv) => {
    const io = createFakeIo({ env: { VIZOCHOK_WEBHOOK_SECRET: MEMORY_SECRET } });
    expect(await runCli([...argv, "--url", "localhost:8080", "--in-stock-sku", "a"], io)).toBe(2);
    expect(io.err()).toContain('--url must start with http:// or https://, got "localhost:8080"');
  });

  it("a refused connection names host and port, for send, doctor and contract", async () => {
    const url = `http://127.0.0.1:${closedPort}/api/vizochok`;
    const send = createFakeIo();
    expect(await runCli(["send", "products", "--sku", "a", "--url", url, "--secret", "s"], send)).toBe(1);
    expect(send.err()).toContain(`cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED)`);
    const doctor = createFakeIo();
    expect(await runCli(["doctor", "--json", "--url", url, "--secret", "s"], doctor)).toBe(1);
    expect(JSON.parse(doctor.out()).findings).toContainEqual(expect.objectContaining({ level: "fail", check: "products webhook", detail: `cannot reach 127.0.0.1:${closedPort} (ECONNREFUSED)` }));
    const contract = createFakeIo();
    expect(await runCli(["contract", "--url", url, "--secret", "s", "--in-stock-sku", "a"], contract)).toBe(3);
    expect(contract.err()).toContain(`127.0.0.1:${closedPort}`);
  });

  it("FORCE_COLOR colours output in a pipe; without it a pipe gets plain text", async () => {
    const argv = ["doctor", "--url", `${merchant.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET];
    const forced = createFakeIo({ env: { FORCE_COLOR: "1" } });
    await runCli(argv, forced);
    expect(forced.out()).toContain("\u001b[33mWARN\u001b[0m production URL");
    const plain = createFakeIo();
    await runCli(argv, plain);
    expect(plain.out()).not.toContain("\u001b[");
    const off = createFakeIo({ env: { FORCE_COLOR: "0" }, isTTY: true });
    await runCli(argv, off);
    expect(off.out()).not.toContain("\u001b[");
  });
});

describe("the vizochok-kit process", () => {
  it("contract --list | head -3 prints three lines and exits quietly", () => {
    const result = spawnSync("bash", ["-o", "pipefail", "-c", "node bin/vizochok-kit.js contract --list | head -3"], { cwd: root, encoding: "utf8" });
    expect(result.stdout.trim().split("\n")).toHaveLength(3);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("production URL rule", () => {
  it.each(["https://[::ffff:127.0.0.1]/hooks", "https://[::ffff:10.0.0.1]/hooks", "https://[::ffff:192.168.1.5]/", "https://[::1]/", "https://[fd12::1]/", "https://127.0.0.1/", "https://100.64.0.1/"])(
    "refuses %s",
    (url) => expect(webhookUrlProblem(url, true)).toBe("private and loopback addresses are not allowed"),
  );
  it.each(["https://[::ffff:8.8.8.8]/", "https://8.8.8.8/", "https://[2001:4860::8888]/"])("accepts the public %s", (url) => {
    expect(webhookUrlProblem(url, true)).toBeUndefined();
  });
});
