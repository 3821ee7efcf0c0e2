import { readFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartGetQuery, CartGetResponse, CartRequest, CartResponse, ProductInput, ProductsRequest, ProductsResponse, silentLogger } from "vizochok-merchant-kit";
import { parseContractConfig, runContract } from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";
import { runCli } from "../../src/cli/main.js";
import { JSON_SCHEMA_NAMES, jsonSchemaFor, type JsonSchemaName } from "../../src/json-schema/index.js";
import { createFakeIo } from "../cli/fake-io.js";

// The shipped JSON Schemas are checked with a JSON Schema validator that is not zod (ajv): the
// fixtures and every request the contract suite sends must get the same verdict from both.
const ajv = new Ajv2020({ allErrors: true, strict: true });
const shipped = (name: JsonSchemaName) => JSON.parse(readFileSync(new URL(`../../schemas/${name}.json`, import.meta.url), "utf8")) as Record<string, unknown>;
const validators = Object.fromEntries(JSON_SCHEMA_NAMES.map((name) => [name, ajv.compile(shipped(name))])) as Record<JsonSchemaName, ReturnType<typeof ajv.compile>>;

describe("shipped JSON Schemas", () => {
  it.each(JSON_SCHEMA_NAMES)("schemas/%s.json is what the zod schemas generate", (name) => {
    expect(shipped(name)).toEqual(jsonSchemaFor(name));
  });

  it("every catalog product in fixtures/catalog.json is a valid product-input", () => {
    const { products } = JSON.parse(readFileSync(new URL("../../fixtures/catalog.json", import.meta.url), "utf8")) as { products: unknown[] };
    expect(products.length).toBeGreaterThan(10);
    for (const product of products) {
      expect(validators["product-input"](product), JSON.stringify(validators["product-input"].errors)).toBe(true);
      expect(ProductInput.safeParse(product).success).toBe(true);
    }
    expect(validators["product-input"]({ ...(products[0] as object), quantity_step: 0 })).toBe(false);
  });

  it("refuses answers that break the contract", () => {
    expect(validators["products-response"]({ products: [{ sku: "milk-001", price: -1, in_stock: true }] })).toBe(false);
    expect(validators["products-response"]({ products: [{ sku: "milk-001", price: 1, in_stock: true, promo_price: null }] })).toBe(true);
    expect(validators["cart-response"]({ ok: false })).toBe(false);
    expect(validators["cart-response"]({ ok: false, reason: "max_3_per_customer" })).toBe(true);
    expect(validators["cart-get-response"]({ items: [{ sku: "milk-001", name: "Milk", price: 1, quantity: 0 }] })).toBe(false);
  });
});

describe("the contract suite's requests and the reference store's answers against the schemas", () => {
  const exchanges: { method: string; path: string; query: URLSearchParams; body: string; status: number; answer: string }[] = [];
  const store = createStoreApp({ secret: "whsec_schemas", databasePath: ":memory:", logger: silentLogger });
  let storeOrigin = "";
  // Records each request and answer on its way to the store, bytes unchanged.
  const recorder = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith("x-") || name === "content-type")) as Record<string, string>;
    const upstream = await fetch(storeOrigin + request.url, { method: request.method!, headers, ...(request.method === "GET" ? {} : { body }) });
    const answer = await upstream.text();
    const url = new URL(request.url!, "http://recorder");
    exchanges.push({ method: request.method!, path: url.pathname, query: url.searchParams, body, status: upstream.status, answer });
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/plain" }).end(answer);
  });
  const storeServer = createServer(store.app);

  beforeAll(async () => {
    storeServer.listen(0, "127.0.0.1");
    recorder.listen(0, "127.0.0.1");
    await Promise.all([once(storeServer, "listening"), once(recorder, "listening")]);
    storeOrigin = `http://127.0.0.1:${(storeServer.address() as AddressInfo).port}`;
    const config = parseContractConfig(JSON.parse(readFileSync(new URL("../../fixtures/reference-store.contract.json", import.meta.url), "utf8")));
    if (!config.ok) throw new Error(config.message);
    const report = await runContract({ baseUrl: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/api/vizochok`, secret: "whsec_schemas", config: config.config });
    expect(report.ok).toBe(true);
  });
  afterAll(() => {
    recorder.closeAllConnections();
    storeServer.closeAllConnections();
    recorder.close();
    storeServer.close();
    store.close();
  });

  const parse = (text: string): { json: true; value: unknown } | { json: false } => {
    try {
      return { json: true, value: JSON.parse(text) };
    } catch {
      return { json: false };
    }
  };

  it.each([
    ["/api/vizochok/check-products", "products-request", ProductsRequest],
    ["/api/vizochok/cart", "cart-request", CartRequest],
  ] as const)("every JSON body sent to %s gets the same verdict from the schema and from zod", (path, name, zodSchema) => {
    const bodies = exchanges.filter((exchange) => exchange.method === "POST" && exchange.path === path).map((exchange) => parse(exchange.body));
    const verdicts = bodies.flatMap((body) => (body.json ? [{ value: body.value, zod: zodSchema.safeParse(body.value).success, schema: validators[name](body.value) }] : []));
    expect(verdicts.filter((verdict) => verdict.zod).length).toBeGreaterThan(20);
    for (const verdict of verdicts) expect(verdict.schema, JSON.stringify(verdict.value)).toBe(verdict.zod);
  });

  it("cart GET queries and every 200 answer of the reference store match their schemas", () => {
    const gets = exchanges.filter((exchange) => exchange.method === "GET");
    expect(gets.length).toBeGreaterThan(5);
    for (const get of gets) {
      const query = Object.fromEntries(get.query);
      expect(validators["cart-get-query"](query)).toBe(CartGetQuery.safeParse(query).success);
    }
    const answered = { "/api/vizochok/check-products": "products-response", "/api/vizochok/cart": "cart-response", "/api/vizochok/cart/items": "cart-get-response" } as const;
    const zodFor = { "products-response": ProductsResponse, "cart-response": CartResponse, "cart-get-response": CartGetResponse };
    let checked = 0;
    for (const exchange of exchanges.filter((exchange) => exchange.status === 200)) {
      const name = answered[exchange.path as keyof typeof answered];
      const answer = JSON.parse(exchange.answer) as unknown;
      expect(validators[name](answer), `${exchange.path} ${exchange.answer}`).toBe(true);
      expect(zodFor[name].safeParse(answer).success).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe("vizochok-kit schema", () => {
  it("prints a shipped schema as JSON, and lists the names without one", async () => {
    const io = createFakeIo();
    expect(await runCli(["schema", "cart-request"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(shipped("cart-request"));
    const list = createFakeIo();
    expect(await runCli(["schema"], list)).toBe(0);
    expect(list.out().split("\n").filter(Boolean).map((line) => line.split(" ")[0])).toEqual(JSON_SCHEMA_NAMES);
    const all = createFakeIo();
    expect(await runCli(["schema", "--all"], all)).toBe(0);
    expect(Object.keys(JSON.parse(all.out()))).toEqual(JSON_SCHEMA_NAMES);
  });

  it("exits 2 for an unknown name", async () => {
    const io = createFakeIo();
    expect(await runCli(["schema", "cart"], io)).toBe(2);
    expect(io.err()).toContain('unknown schema "cart"');
  });
});
