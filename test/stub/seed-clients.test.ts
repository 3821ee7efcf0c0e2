// VIZOCHOK's own example clients (seeds/003: "WebSocket direct integration"), run unchanged but
// for URL, key and store id, against the stub wired to the reference store.
import { afterEach, describe, expect, it } from "vitest";
import { PUBLIC_KEY, startHarness, textOf, type Harness } from "./harness.js";
import { NODE_CLIENT, PYTHON, PYTHON_CLIENT, pythonMissing, pythonSkipNote, runClient, skipPython } from "./seed-client-runner.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The answer the stub gives to the seed clients' question, asked through the headless client. */
async function expectedAnswer(h: Harness): Promise<string> {
  const client = h.client({ userId: "reference-asker" });
  await client.connect();
  return textOf(await client.send("What milk do you have?"));
}

describe("VIZOCHOK's example clients against the stub", () => {
  it("the Node.js client from the docs completes and prints the answer text", async () => {
    harness = await startHarness();
    const result = await runClient(process.execPath, [NODE_CLIENT], { wsUrl: harness.stub.wsUrl, publicKey: PUBLIC_KEY, storeId: "store-1" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const answer = await expectedAnswer(harness);
    expect(answer).toContain("milk");
    expect(result.stdout).toBe(`${answer}\n`);
    // It really went through the store: a signed products call for this shopper's search.
    expect(harness.stub.deliveries.filter((d) => d.kind === "products").length).toBeGreaterThanOrEqual(2);
    expect(harness.stub.deliveries.some((d) => d.kind === "cart_get" && d.request.url.includes("session_id=user-123"))).toBe(true);
  });

  it.skipIf(skipPython)(
    `the Python client from the docs completes and prints the answer text${pythonSkipNote}`,
    async () => {
      if (pythonMissing !== undefined) throw new Error(pythonMissing);
      harness = await startHarness();
      const result = await runClient(PYTHON, [PYTHON_CLIENT], { wsUrl: harness.stub.wsUrl, publicKey: PUBLIC_KEY, storeId: "store-1" });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const answer = await expectedAnswer(harness);
      expect(answer).toContain("milk");
      expect(result.stdout).toBe(`${answer}\n`);
    },
  );
});
