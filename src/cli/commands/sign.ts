import { signWebhook } from "../../signature.js";
import { EXIT, UsageError, numberFrom, parseCommandArgs, secretFrom, type Command } from "../command.js";

export const signCommand: Command = {
  name: "sign",
  summary: "print the signature headers for a body read on stdin (for curl)",
  usage: `vizochok-kit sign --secret S [--timestamp T] [--get] < body.json

Signs the exact bytes on stdin as VIZOCHOK does and prints the two headers, one per line,
ready for curl -H @file. Pipe the body with printf '%s', not echo (echo adds a newline,
which is part of what is signed).

  --secret S       the webhook secret (default: $VIZOCHOK_WEBHOOK_SECRET)
  --timestamp T    unix seconds to sign with (default: now)
  --get            sign an empty body (a cart GET) without reading stdin
  -h, --help       show this help

Example:
  body='{"skus":["milk-001"],"store_id":"store-1"}'
  printf '%s' "$body" | vizochok-kit sign --secret "$SECRET" > headers.txt
  curl -H @headers.txt -H 'content-type: application/json' --data "$body" https://shop.example.com/api/vizochok/check-products`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      options: {
        secret: { type: "string" },
        timestamp: { type: "string" },
        get: { type: "boolean" },
      },
    });
    const secret = secretFrom(values.secret, io);
    const timestamp = numberFrom(values.timestamp, "--timestamp") ?? Math.floor(io.now() / 1000);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new UsageError("--timestamp must be unix seconds");
    let body: Buffer | undefined;
    if (values.get !== true) {
      body = await io.readStdin();
      if (body === undefined) throw new UsageError("pipe the body on stdin (or pass --get to sign a cart GET)");
    }
    const headers = signWebhook({ secret, timestamp, ...(body === undefined ? { method: "GET" } : { body, method: "POST" }) });
    for (const [name, value] of Object.entries(headers)) io.stdout.write(`${name}: ${value}\n`);
    return EXIT.ok;
  },
};
