// The start-up banner's `curl -X PATCH …` runs as printed, in both modes, and the page follows it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { startStoreServer, type StoreServer } from "../../reference-store/server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "whsec_banner_test";
const run = promisify(execFile);

let backend: StoreServer;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // "Your backend": another store on its own port, verifying with the same secret.
  backend = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: ":memory:", secret: SECRET, logger: silentLogger });
});
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      child.kill("SIGINT");
      await once(child, "exit");
    }
  }
  children.clear();
});
afterAll(() => backend.close());

/** Starts the demo process and resolves with its banner once it is printed whole. */
async function startDemoProcess(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "reference-store/demo.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: "0", STUB_PORT: "0", DATABASE_PATH: ":memory:", VIZOCHOK_WEBHOOK_SECRET: SECRET, ...env },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("Ctrl-C stops both servers.")) resolve(stdout);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before the banner:\n${stdout}\n${stderr}`)));
  });
}

/** The `curl` lines exactly as printed, backslash continuations included. */
function curlCommand(banner: string): string {
  const lines = banner.split("\n");
  const start = lines.findIndex((line) => line.trim().startsWith("curl -X PATCH"));
  expect(start, banner).toBeGreaterThanOrEqual(0);
  let end = start;
  while (lines[end]!.endsWith("\\")) end++;
  return lines.slice(start, end + 1).join("\n");
}

const storeUrlOf = (banner: string) => /Storefront \+ chat\s+(\S+)/.exec(banner)![1]!;

async function pageConfig(storeUrl: string): Promise<{ storeCart: boolean; webhookBaseUrl: string }> {
  return (await (await fetch(new URL("/demo/config.json", storeUrl))).json()) as { storeCart: boolean; webhookBaseUrl: string };
}

describe("the demo banner's curl", () => {
  it("with WEBHOOK_BASE_URL on another backend: says the store panel is off, and its curl repoints the stub back to the store", async () => {
    const theirs = `${backend.url}/api/vizochok`;
    const banner = await startDemoProcess({ WEBHOOK_BASE_URL: theirs });
    expect(banner).toContain(`Webhooks go to      ${theirs}/{check-products,cart,cart/items}`);
    expect(banner).toContain("the page shows the assistant's cart only (its store cart panel is off,");
    const command = curlCommand(banner);
    expect(command).not.toContain("…");

    const storeUrl = storeUrlOf(banner);
    expect(await pageConfig(storeUrl)).toEqual(expect.objectContaining({ storeCart: false, webhookBaseUrl: theirs }));
    const { stdout } = await run("bash", ["-c", command]);
    expect(JSON.parse(stdout)).toEqual({ ok: true, has_secret: true });
    // The page reads where the webhooks go at each load: now it is this store, so its panel is on.
    const after = await pageConfig(storeUrl);
    expect(after.storeCart).toBe(true);
    expect(after.webhookBaseUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${new URL(storeUrl).port}/api/vizochok$`));
  }, 60_000);

  it("by default: prints the store's real URLs, and the command runs as printed", async () => {
    const banner = await startDemoProcess({});
    const command = curlCommand(banner);
    const storePort = new URL(storeUrlOf(banner)).port;
    expect(command).toContain(`"cart_get_url":"http://127.0.0.1:${storePort}/api/vizochok/cart/items"`);
    const { stdout } = await run("bash", ["-c", command]);
    expect(JSON.parse(stdout)).toEqual({ ok: true, has_secret: true });
    expect((await pageConfig(storeUrlOf(banner))).storeCart).toBe(true);
  }, 60_000);
});
