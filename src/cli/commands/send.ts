import { createContractClient, type WebhookCall, type WebhookReply, type WebhookTarget } from "../../contract/client.js";
import { formatMs } from "../../contract/reporters/pretty.js";
import { BACKEND_OPTIONS, EXIT, UsageError, describeNetworkError, numberFrom, parseCommandArgs, secretFrom, urlFrom, type Command } from "../command.js";
import { loadCliConfig } from "../load-config.js";

const KINDS: Record<string, WebhookTarget> = { products: "products", cart: "cart", "cart-get": "cartGet" };

export const sendCommand: Command = {
  name: "send",
  summary: "sign and send one webhook; print status, latency and body",
  usage: `vizochok-kit send products|cart|cart-get --url BASE --secret S [options]

Builds the request from flags (or takes --body / --body-file as is), signs it, sends it and
prints the status, the latency and the answer. Exits 0 on a 2xx answer, 1 otherwise or when
nothing answers.

  --url BASE              where your webhooks live, e.g. http://127.0.0.1:8080/api/vizochok
                          (default: $VIZOCHOK_WEBHOOK_URL)
  --secret S              the webhook secret (default: $VIZOCHOK_WEBHOOK_SECRET)
  --store-id ID           default: the config's storeId, else store-1
  --sku SKU               products: repeat for several; cart: the item
  --action A              cart: add (default), remove, update_quantity or clear
  --quantity N            cart: the quantity for add or update_quantity
  --session ID            cart and cart-get: the session (default vizochok-kit-cli)
  --body JSON             send this body instead (products and cart)
  --body-file FILE        send this file's bytes instead
  --timestamp-offset S    sign S seconds off the clock, e.g. --timestamp-offset=-301 (skew tests)
  --unsigned              send without the signature headers
  --config FILE           the contract config, for its paths and storeId
  --json                  print one JSON object (method, url, status, latencyMs, body) and nothing else
  -h, --help              show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      allowPositionals: true,
      options: {
        ...BACKEND_OPTIONS,
        sku: { type: "string", multiple: true },
        action: { type: "string", default: "add" },
        quantity: { type: "string" },
        session: { type: "string", default: "vizochok-kit-cli" },
        body: { type: "string" },
        "body-file": { type: "string" },
        "timestamp-offset": { type: "string" },
        unsigned: { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    const kind = positionals[0];
    const target = kind === undefined ? undefined : KINDS[kind];
    if (target === undefined || positionals.length > 1) throw new UsageError("name one webhook: products, cart or cart-get");
    const baseUrl = urlFrom(values.url, io);
    const secret = secretFrom(values.secret, io);
    const config = await loadCliConfig(io, values, { needsInStockSku: false });
    const offset = numberFrom(values["timestamp-offset"], "--timestamp-offset") ?? 0;
    const quantity = numberFrom(values.quantity, "--quantity");
    const session = values.session as string;
    const skus = values.sku ?? [];

    const call: WebhookCall = { target, timestamp: Math.floor(io.now() / 1000) + Math.trunc(offset) };
    if (values.unsigned === true) call.unsigned = true;
    if (target === "cartGet") {
      call.query = { store_id: config.storeId, session_id: session };
    } else if (values.body !== undefined || values["body-file"] !== undefined) {
      call.body = values.body ?? (await io.readFile(values["body-file"]!));
    } else if (target === "products") {
      if (skus.length === 0) throw new UsageError("products needs at least one --sku (or --body)");
      call.body = { skus, store_id: config.storeId };
    } else {
      call.body = {
        action: values.action,
        store_id: config.storeId,
        session_id: session,
        ...(skus[0] === undefined ? {} : { sku: skus[0] }),
        ...(quantity === undefined ? {} : { quantity }),
      };
    }
    const client = createContractClient({ baseUrl, secret, paths: config.paths, now: io.now });
    const prepared = client.prepare(call);
    const json = values.json === true;
    if (!json) io.stdout.write(`${prepared.method} ${prepared.url}\n`);
    let reply: WebhookReply;
    try {
      reply = await client.deliver(prepared).finally(() => client.close());
    } catch (error) {
      const message = describeNetworkError(error, prepared.url);
      if (json) io.stdout.write(`${JSON.stringify({ method: prepared.method, url: prepared.url, error: message })}\n`);
      else io.stderr.write(`vizochok-kit send: ${message}\n`);
      return EXIT.failed;
    }
    if (json) {
      const body = reply.json === undefined ? reply.text : reply.json;
      const latencyMs = Math.round(reply.latencyMs * 100) / 100;
      io.stdout.write(`${JSON.stringify({ method: prepared.method, url: prepared.url, status: reply.status, latencyMs, body })}\n`);
    } else {
      io.stdout.write(`${reply.status} in ${formatMs(reply.latencyMs)}\n`);
      io.stdout.write(`${reply.json === undefined ? reply.text : JSON.stringify(reply.json, null, 2)}\n`);
      if (reply.status === 404) {
        io.stderr.write(`vizochok-kit send: no webhook at ${prepared.url}; --url must be the base path the three webhooks live under, e.g. http://127.0.0.1:8080/api/vizochok\n`);
      }
    }
    return reply.status >= 200 && reply.status < 300 ? EXIT.ok : EXIT.failed;
  },
};
