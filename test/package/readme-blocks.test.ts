import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packedKit, quietNpm, root } from "./packed.js";
import { blockNamed, copySqliteBinding, onFreePort, readJson, readmeBlocks, runInstall, serveFile, shellCommands, tsxLoader, writeFiles, type Served } from "./readme-project.js";

// Every code block of the README, run in one project that installed the packed package by the
// README's own install blocks. One project, four npm installs, one tsc run over every block.
const run = promisify(execFile);
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = readmeBlocks(readme);
const block = (name: string) => blockNamed(blocks, name);
const work = mkdtempSync(join(tmpdir(), "vizochok-kit-readme-"));
const project = join(work, "shop");
const secret = "whsec_readme_blocks";
const env = { VIZOCHOK_WEBHOOK_SECRET: secret };
const devVersion = (name: string) => (readJson(join(root, "node_modules", name, "package.json")) as { version: string }).version;
let typecheck = { status: 0, output: "" };
let quickStart: Served;
let nodeHttp: Served;

// What each harness file adds around the blocks it runs.
const harness = {
  // The node:http and fetch blocks import "the quick start's handlers": the block's own lines, exported.
  handlers: (quickStart: string) => {
    const head = quickStart.slice(0, quickStart.indexOf("const app = express();"));
    if (!head.includes("const handlers: WebhookHandlers")) throw new Error("the quick start no longer declares const handlers: WebhookHandlers");
    return head.replace('import express from "express";\n', "").replace("const handlers: WebhookHandlers", "export const handlers: WebhookHandlers");
  },
  // The same signed requests through any Request → Response function, answers printed as JSON.
  exercise: `import { signWebhook } from "vizochok-merchant-kit";

type Handle = (request: Request) => Response | Promise<Response>;
export async function exercise(handle: Handle, base: string): Promise<unknown[]> {
  const secret = process.env.VIZOCHOK_WEBHOOK_SECRET!;
  const send = async (method: string, path: string, body?: object, signed = true) => {
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = raw === undefined ? {} : { "content-type": "application/json" };
    const request = new Request(base + path, { method, headers: signed ? { ...headers, ...signWebhook(raw === undefined ? { secret } : { secret, body: raw }) } : headers, ...(raw === undefined ? {} : { body: raw }) });
    const response = await handle(request);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const cart = { store_id: "store-1", session_id: "shopper-1" };
  return [
    await send("POST", "/check-products", { skus: ["milk-001", "bread-002", "tea-404"], store_id: "store-1" }),
    await send("POST", "/cart", { ...cart, action: "add", sku: "milk-001", quantity: 2 }),
    await send("POST", "/cart", { ...cart, action: "add", sku: "milk-001", quantity: 49 }),
    await send("POST", "/cart", { ...cart, action: "add", sku: "tea-404" }),
    await send("GET", "/cart/items?store_id=store-1&session_id=shopper-1"),
    await send("POST", "/cart", { ...cart, action: "clear" }, false),
  ];
}
`,
  exerciseHttp: `import { exercise } from "./exercise.js";
console.log(JSON.stringify(await exercise((request) => fetch(request), process.argv[2]!)));
`,
  exerciseNextjs: `import { exercise } from "./exercise.js";
import { GET, POST } from "./nextjs-route";
// Next.js calls the export named after the request's method.
console.log(JSON.stringify(await exercise((request) => (request.method === "GET" ? GET(request) : POST(request)), "https://shop.example/api/vizochok")));
`,
  exerciseHono: `import { exercise } from "./exercise.js";
import { app } from "./hono";
console.log(JSON.stringify(await exercise((request) => app.fetch(request), "https://shop.example/api/vizochok")));
`,
  // After the block: one signed add through a handler with its guard; the guard's record is in Redis.
  redisGuard: `
import { createWebWebhookHandler, signWebhook } from "vizochok-merchant-kit";
import { handlers } from "./handlers.js";
const keys = () => redis.keys("shop-1:vizochok:*");
const before = new Set(await keys());
const handle = createWebWebhookHandler({ secret: "whsec_redis", handlers, replayGuard });
const body = JSON.stringify({ action: "add", store_id: "store-1", session_id: \`redis-\${Date.now()}\`, sku: "milk-001" });
const response = await handle(new Request("https://shop.example/cart", { method: "POST", headers: { "content-type": "application/json", ...signWebhook({ secret: "whsec_redis", body }) }, body }));
const added = (await keys()).filter((key) => !before.has(key));
console.log(JSON.stringify({ status: response.status, body: await response.json(), added: added.length }));
if (added.length > 0) await redis.del(added);
await redis.quit();
`,
  // The handlers block against a stand-in for "your shop's API", with a 300 ms budget: one add
  // never gets an answer from it, and the call must be cancelled when the budget runs out.
  exerciseShopApi: `import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebWebhookHandler, signWebhook } from "vizochok-merchant-kit";
import { handlers } from "./shop-api-handlers.js";

let cancelled = 0;
const seen: string[] = [];
const api = createServer((request, response) => {
  seen.push(\`\${request.method} \${request.url}\`);
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    if (request.method === "GET") {
      const skus = new URL(request.url!, "http://api").searchParams.get("skus")!.split(",");
      return response.end(JSON.stringify(skus.filter((sku) => sku !== "tea-404").map((sku) => ({ sku, price: 10, in_stock: true }))));
    }
    const { sku } = JSON.parse(body) as { sku: string };
    if (sku === "slow-001") return response.on("close", () => void (response.writableFinished || cancelled++));
    response.end(JSON.stringify(sku === "milk-003" ? { added: false, reason: "out_of_stock" } : { added: true }));
  });
});
await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
process.env.SHOP_API_URL = \`http://127.0.0.1:\${(api.address() as AddressInfo).port}\`;
const secret = "whsec_shop_api";
const handle = createWebWebhookHandler({ secret, handlers, budgetMs: 300, logger: { info() {}, warn() {}, error() {} } });
const send = async (path: string, payload: object) => {
  const body = JSON.stringify(payload);
  const response = await handle(new Request(\`https://shop.example\${path}\`, { method: "POST", headers: { "content-type": "application/json", ...signWebhook({ secret, body }) }, body }));
  return { status: response.status, body: (await response.json()) as unknown };
};
const add = (sku: string) => send("/cart", { action: "add", store_id: "store-1", session_id: "s1", sku, quantity: 2 });
const answers = [await send("/check-products", { skus: ["milk-001", "tea-404"], store_id: "store-1" }), await add("milk-001"), await add("milk-003"), await add("slow-001")];
for (let waited = 0; cancelled === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ answers, seen, cancelled }));
api.close();
`,
  // A backend that acknowledges every add, known SKU or not, for the README's sample failure.
  brokenBackend: `import { createServer } from "node:http";
import { createNodeWebhookHandler } from "vizochok-merchant-kit/node";
const handlers = { products: () => ({ products: [] }), add: () => ({ ok: true as const }), clear: () => ({ ok: true as const }), cartGet: () => ({ items: [] }) };
createServer(createNodeWebhookHandler({ secret: process.env.VIZOCHOK_WEBHOOK_SECRET!, handlers, logger: { info() {}, warn() {}, error() {} } })).listen(3000);
`,
};

// The answers every one of the four quick starts gives to harness.exercise.
const exercised = [
  { status: 200, body: { products: [{ sku: "milk-001", price: 42.5, in_stock: true }, { sku: "bread-002", price: 31.9, in_stock: true }] } },
  { status: 200, body: { ok: true } },
  { status: 200, body: { ok: false, reason: "max_50_per_customer" } },
  { status: 200, body: { ok: false, reason: "product_not_found" } },
  { status: 200, body: { items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 2 }] } },
  { status: 401, body: { error: "missing_signature", message: expect.any(String) } },
];

beforeAll(async () => {
  const { tarball } = packedKit();
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }));
  for (const command of [...shellCommands(block("install")), ...shellCommands(block("stub-install"))]) runInstall(command, project, tarball);
  copySqliteBinding(project);
  // What the README takes for granted: Node's types, vitest for the two test files, hono and redis for their blocks.
  runInstall(`npm install --save-dev @types/node@${devVersion("@types/node")} vitest@${devVersion("vitest")} redis@${devVersion("redis")} hono`, project, tarball);
  const catalog = join(project, "node_modules", "vizochok-merchant-kit", "fixtures", "catalog.json");
  writeFiles(project, {
    "tsconfig.json": JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", lib: ["ES2023", "DOM"], module: "esnext", moduleResolution: "bundler", types: ["node"], noEmit: true, skipLibCheck: true },
      include: ["src", "test"],
    }),
    "src/quick-start.ts": block("quick-start"),
    "src/node-http.ts": block("node-http"),
    "src/nextjs-route.ts": block("nextjs-route"),
    "src/hono.ts": block("hono"),
    "src/signing.ts": block("signing"),
    "src/shop-api-handlers.ts": block("handlers"),
    "src/exercise-shop-api.ts": harness.exerciseShopApi,
    "src/redis-guard.ts": block("redis-guard") + harness.redisGuard,
    "test/stub.test.ts": block("stub-test"),
    "test/contract.test.ts": block("contract-test"),
    "src/handlers.ts": harness.handlers(block("quick-start")),
    "src/quick-start.served.ts": onFreePort(block("quick-start")),
    "src/node-http.served.ts": onFreePort(block("node-http")),
    "src/exercise.ts": harness.exercise,
    "src/exercise-http.ts": harness.exerciseHttp,
    "src/exercise-nextjs.ts": harness.exerciseNextjs,
    "src/exercise-hono.ts": harness.exerciseHono,
    "src/broken-backend.ts": onFreePort(harness.brokenBackend),
    // The stub block reads "your" catalog from fixtures/; this one is the demo catalog the package ships.
    "fixtures/catalog.json": readFileSync(catalog, "utf8"),
    // The config the README states the quick start's contract result for.
    "contract.json": JSON.stringify({ inStockSku: "milk-001" }),
    "broken.json": '{"action": "add", "store_id": ',
  });
  const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: project, encoding: "utf8" });
  typecheck = { status: tsc.status ?? 1, output: tsc.stdout + tsc.stderr };
  [quickStart, nodeHttp] = await Promise.all([serveFile(project, "src/quick-start.served.ts", env), serveFile(project, "src/node-http.served.ts", env)]);
}, 900_000);

afterAll(async () => {
  await Promise.all([quickStart?.stop(), nodeHttp?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

const tsx = (file: string, args: string[] = []) => run(process.execPath, ["--import", tsxLoader, file, ...args], { cwd: project, env: { ...process.env, ...env } });
const kit = join(project, "node_modules", ".bin", "vizochok-kit");
const shell = (command: string, extra: Record<string, string> = {}) =>
  spawnSync("sh", ["-c", command], { cwd: project, env: { ...quietNpm, ...env, ...extra }, encoding: "utf8", timeout: 120_000 });

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the README, run from the installed package", () => {
  it("names every block, and each one below is run (or, for the two about a checkout and init, said where)", () => {
    expect(blocks.map((candidate) => `${candidate.lang} ${candidate.name}`)).toEqual([
      "sh clone", // a clone of this repository: npm start is run by test/stub/seed-flows-npm-start.test.ts
      "sh install",
      "ts quick-start",
      "ts node-http",
      "ts nextjs-route",
      "ts hono",
      "sh init", // run from the packed package by test/package/init.test.ts
      "ts signing",
      "ts redis-guard",
      "ts handlers",
      "sh stub-install",
      "ts stub-test",
      "sh contract-ci",
      "text preflight-lines",
      "text failure-sample",
      "json contract-config",
      "sh cli",
      "ts contract-test",
    ]);
  });

  it("the install blocks installed the kit from the tarball, with express and the stub's peers", () => {
    const manifest = readJson(join(project, "package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["express"]);
    expect(Object.keys(manifest.devDependencies)).toEqual(expect.arrayContaining(["vizochok-merchant-kit", "@types/express", "ws", "better-sqlite3"]));
    expect(manifest.devDependencies["vizochok-merchant-kit"]).toMatch(/^file:.*\.tgz$/);
  });

  it("every TypeScript block type-checks (strict, bundler resolution, as in a Next.js project)", () => {
    expect(typecheck).toEqual({ status: 0, output: "" });
  });

  it("quick-start: the Express app answers signed webhooks from its in-memory cart", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/exercise-http.ts", [`${quickStart.origin}/api/vizochok`]);
    expect(JSON.parse(stdout)).toEqual(exercised);
  });

  it("node-http: the node:http server answers the same on the default paths", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/exercise-http.ts", [nodeHttp.origin]);
    expect(JSON.parse(stdout)).toEqual(exercised);
  });

  it("nextjs-route: the exported GET and POST answer Web Requests, the cart GET through GET", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/exercise-nextjs.ts");
    expect(JSON.parse(stdout)).toEqual(exercised);
  });

  it("hono: app.fetch answers the same", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/exercise-hono.ts");
    expect(JSON.parse(stdout)).toEqual(exercised);
  });

  it("signing: the signature verifies with the second secret, and not with the first alone", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/signing.ts");
    expect(stdout).toMatch(/^\{\s*ok: true,\s*secretIndex: 1,\s*timestamp: \d+,\s*signature: '[0-9a-f]{64}'\s*\}\n\{\s*ok: false,\s*code: 'signature_mismatch',\s*message: '[^']+'\s*\}\n$/);
  });

  it("handlers: the shop's API answers through them, and a call past the budget is cancelled", { timeout: 60_000 }, async () => {
    const { stdout } = await tsx("src/exercise-shop-api.ts");
    expect(JSON.parse(stdout)).toEqual({
      answers: [
        { status: 200, body: { products: [{ sku: "milk-001", price: 10, in_stock: true }] } },
        { status: 200, body: { ok: true } },
        { status: 200, body: { ok: false, reason: "out_of_stock" } },
        { status: 503, body: { error: "handler_timeout", message: expect.any(String) } },
      ],
      seen: ["GET /stores/store-1/prices?skus=milk-001,tea-404", "POST /stores/store-1/carts/s1/items", "POST /stores/store-1/carts/s1/items", "POST /stores/store-1/carts/s1/items"],
      cancelled: 1,
    });
  });

  it("redis-guard: the guard records a signed cart POST in Redis under the block's prefix", { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ["--import", tsxLoader, "src/redis-guard.ts"], { cwd: project, env: { ...process.env, REDIS_URL: "redis://127.0.0.1:6379" } });
    expect(JSON.parse(stdout)).toEqual({ status: 200, body: { ok: true }, added: 1 });
  });

  it("contract-ci: the quick start passes 42 cases and skips the 4 the README names", { timeout: 180_000 }, () => {
    const [command] = shellCommands(block("contract-ci"));
    const result = shell(command!.replace("https://staging.shop.example.com/api/vizochok", `${quickStart.origin}/api/vizochok`) + " --reporter json --out contract-ci.json");
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const report = readJson(join(project, "contract-ci.json")) as { results: { id: string; status: string }[] };
    const skipped = report.results.filter((entry) => entry.status !== "passed").map((entry) => entry.id);
    expect(report.results.filter((entry) => entry.status === "passed")).toHaveLength(42);
    expect(skipped).toEqual(["products.out-of-stock", "cart.quantity-exceeded", "cart.out-of-stock", "cart.stock-across-shoppers"]);
    for (const id of skipped) expect(readme).toContain(`\`${id}\``);
    expect(readme).toContain("passes 42 of its 46 cases and skips the four that need stock");
  });

  it("preflight-lines: each misconfiguration is said in the README's line", { timeout: 120_000 }, async () => {
    const lines = block("preflight-lines").trim().split("\n");
    const closed = await closedPort();
    const host = new URL(quickStart.origin).host;
    const cases = [
      { url: `http://127.0.0.1:${closed}/api/vizochok`, flags: `--secret ${secret}`, expected: lines[0]!.replaceAll("127.0.0.1:8080", `127.0.0.1:${closed}`) },
      { url: `${quickStart.origin}/api/vizochok`, flags: "--secret whsec_other", expected: lines[1]!.replaceAll("127.0.0.1:8080", host) },
      { url: quickStart.origin, flags: `--secret ${secret}`, expected: lines[2]!.replaceAll("127.0.0.1:8080", host) },
    ];
    for (const { url, flags, expected } of cases) {
      const result = shell(`"${kit}" contract --url ${url} ${flags} --config contract.json`);
      expect(result.status).toBe(3);
      expect(result.stdout + result.stderr).toContain(expected);
    }
  });

  it("failure-sample: a backend that acknowledges an unknown SKU fails cart.add-unknown in the README's words", { timeout: 120_000 }, async () => {
    const broken = await serveFile(project, "src/broken-backend.ts", env);
    try {
      const result = shell(`"${kit}" contract --url ${broken.origin} --secret ${secret} --config contract.json --only cart.add-unknown`);
      expect(result.status).toBe(1);
      // Timings and the run's ids differ from run to run; everything else is the README's text.
      const pattern = (line: string) =>
        new RegExp(
          line
            .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
            .replace(/\\\(\d+\\\.\d+ ms\\\)/, "\\(\\d+(?:\\.\\d+)? ms\\)")
            .replace(/[0-9a-f]{8}-\d+/g, "[0-9a-f]{8}-\\d+"),
        );
      for (const line of block("failure-sample").trim().split("\n")) expect(result.stdout).toMatch(pattern(line.trim()));
    } finally {
      await broken.stop();
    }
  });

  it("contract-config: the README's config is the one the package ships for the reference store", () => {
    expect(JSON.parse(block("contract-config"))).toEqual(readJson(join(project, "node_modules", "vizochok-merchant-kit", "fixtures", "reference-store.contract.json")));
  });

  it("cli: every command runs against the quick start, with the exit code and output each promises", { timeout: 300_000 }, () => {
    const url = `${quickStart.origin}/api/vizochok`;
    const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
    const results = shellCommands(block("cli")).map((command) => {
      const result = shell(command.replace("http://127.0.0.1:8080/api/vizochok", url), { URL: url, S: secret, BODY: body });
      return { command: command.split(" ").slice(0, 3).join(" "), status: result.status, stdout: result.stdout, stderr: result.stderr };
    });
    expect(results.map(({ command, status }) => [command, status])).toEqual([
      ["npx vizochok-kit contract", 0],
      ["npx vizochok-kit contract", 0],
      ["npx vizochok-kit send", 0],
      ["npx vizochok-kit send", 0],
      ["npx vizochok-kit send", 0],
      ["npx vizochok-kit send", 0],
      ["printf '%s' \"$BODY\"", 0],
      ["curl -H @headers.txt", 0],
      // doctor warns about an http:// loopback URL (fine for local testing); every check passes.
      ["npx vizochok-kit doctor", 0],
      ["npx vizochok-kit schema", 0],
    ]);
    expect(readFileSync(join(project, "contract.xml"), "utf8")).toContain("<testsuite");
    // The block's `send cart … --quantity 2 --session s1`, read back by its `send cart-get --session s1`.
    expect(results[4]!.stdout).toMatch(/"sku": "milk-001",[^}]*"quantity": 2\s*\}/);
    expect(results[5]!.stdout).toContain("missing_params");
    expect(JSON.parse(results[7]!.stdout)).toEqual({ products: [{ sku: "milk-001", price: 42.5, in_stock: true }] });
    expect(results[8]!.stdout).toMatch(/WARN production URL: .*: must use HTTPS/);
    expect(results[8]!.stdout).toMatch(/\b0 failed, 1 warnings, 6 ok\b/);
    expect(readJson(join(project, "cart-request.schema.json"))).toMatchObject({ $schema: expect.stringContaining("2020-12") });
  });

  it("stub-test and contract-test: both vitest files pass against the quick start", { timeout: 300_000 }, () => {
    const result = spawnSync(
      process.execPath,
      [join(project, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=json", "--outputFile=vitest.json", "--testTimeout=60000", "--hookTimeout=60000"],
      { cwd: project, env: { ...quietNpm, ...env, CI: "1", STORE_URL: `${quickStart.origin}/api/vizochok`, WEBHOOK_BASE_URL: `${quickStart.origin}/api/vizochok` }, encoding: "utf8", timeout: 280_000 },
    );
    expect(existsSync(join(project, "vitest.json")), result.stderr).toBe(true);
    const report = readJson(join(project, "vitest.json")) as { testResults: { name: string; assertionResults: { title: string; status: string }[] }[] };
    const byFile = Object.fromEntries(report.testResults.map((file) => [file.name.slice(project.length + 1), file.assertionResults]));
    expect(byFile["test/stub.test.ts"]).toEqual([expect.objectContaining({ title: "shows milk and adds the first card to the store's cart", status: "passed" })]);
    const contract = byFile["test/contract.test.ts"]!;
    expect(contract.filter((test) => test.status === "passed")).toHaveLength(43); // 42 cases and the preflight
    expect(contract.filter((test) => test.status !== "passed").map((test) => test.status)).toEqual(["skipped", "skipped", "skipped", "skipped"]);
    expect(result.status, result.stderr).toBe(0);
  });
});
