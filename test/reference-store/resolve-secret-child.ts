// One of two processes racing to start on one data directory: it waits for "go" on stdin, so
// both resolve the webhook secret at the same moment, then prints the secret it got.
import { createInterface } from "node:readline";
import { silentLogger } from "vizochok-merchant-kit";
import { resolveWebhookSecret } from "../../reference-store/webhook-secret.js";

const databasePath = process.argv[2]!;
process.stdout.write("ready\n");
createInterface({ input: process.stdin }).once("line", () => {
  const secret = resolveWebhookSecret({ env: {}, databasePath, logger: silentLogger });
  process.stdout.write(`${JSON.stringify({ secret })}\n`);
  process.exit(0);
});
