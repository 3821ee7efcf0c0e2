import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { silentLogger } from "vizochok-merchant-kit";
import { describe, expect, it } from "vitest";
import { loadWebhookSecret, redactWebhookSecret, resolveWebhookSecret } from "../../reference-store/webhook-secret.js";
import { useCleanups } from "./cleanups.js";
import { SPAWNED_PROCESS_TIMEOUT_MS } from "./spawn-store.js";

const CHILD = fileURLToPath(new URL("./resolve-secret-child.ts", import.meta.url));
const { defer, tempDir } = useCleanups();

/** Starts a child that resolves the secret when told to; resolves once it is ready. */
async function startRacer(databasePath: string) {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, databasePath], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = once(child, "exit");
  // Gone before its directory is removed (cleanups run in reverse, so after this one).
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  return {
    go: () => child.stdin!.write("go\n"),
    secret: async () => (JSON.parse((await lines.next()).value as string) as { secret: string }).secret,
    exited,
  };
}

describe("resolveWebhookSecret()", () => {
  it("two processes starting at once on an empty data dir get the same non-empty secret", async () => {
    const dir = tempDir();
    const databasePath = join(dir, "data", "store.db");
    const racers = await Promise.all([startRacer(databasePath), startRacer(databasePath)]);
    for (const racer of racers) racer.go();
    const [a, b] = await Promise.all(racers.map((racer) => racer.secret()));
    await Promise.all(racers.map((racer) => racer.exited));
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(readFileSync(join(dir, "data", "webhook-secret"), "utf8").trim()).toBe(a);
    expect(statSync(join(dir, "data", "webhook-secret")).mode & 0o777).toBe(0o600);
  }, SPAWNED_PROCESS_TIMEOUT_MS);

  it("waits for a secret file that exists but is still empty, and uses what the writer wrote", () => {
    const dir = tempDir();
    const file = join(dir, "webhook-secret");
    writeFileSync(file, "");
    const secret = resolveWebhookSecret({
      env: {},
      databasePath: join(dir, "store.db"),
      logger: silentLogger,
      sleep: () => writeFileSync(file, "whsec_written_by_the_other_process\n"),
    });
    expect(secret).toBe("whsec_written_by_the_other_process");
  });

  it("replaces a secret file left empty (or blank) past the wait with a generated secret", () => {
    const dir = tempDir();
    const file = join(dir, "webhook-secret");
    writeFileSync(file, " \n");
    let slept = 0;
    const resolved = loadWebhookSecret({
      env: {},
      databasePath: join(dir, "store.db"),
      logger: silentLogger,
      waitForWriterMs: 100,
      sleep: (ms) => void (slept += ms),
    });
    expect(slept).toBe(100);
    expect(resolved).toEqual({ secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/), source: "generated", file });
    expect(readFileSync(file, "utf8").trim()).toBe(resolved.secret);
  });

  it("says where the secret came from", () => {
    const dir = tempDir();
    const databasePath = join(dir, "store.db");
    expect(loadWebhookSecret({ env: { VIZOCHOK_WEBHOOK_SECRET: "whsec_env" }, databasePath, logger: silentLogger })).toEqual({
      secret: "whsec_env",
      source: "env",
    });
    const first = loadWebhookSecret({ env: {}, databasePath, logger: silentLogger });
    expect(first.source).toBe("generated");
    expect(loadWebhookSecret({ env: {}, databasePath, logger: silentLogger })).toEqual({ ...first, source: "file" });
    expect(loadWebhookSecret({ env: {}, databasePath: ":memory:", logger: silentLogger }).source).toBe("memory");
  });
});

describe("redactWebhookSecret()", () => {
  it("keeps the first 10 characters of a real secret and never a short secret's half", () => {
    expect(redactWebhookSecret(`whsec_1a2b${"c".repeat(60)}`)).toBe("whsec_1a2b…");
    expect(redactWebhookSecret("hunter2hunter2")).toBe("hunt…");
  });
});
