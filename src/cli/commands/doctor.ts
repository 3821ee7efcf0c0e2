import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { createContractClient, NoAnswerViolation, type ContractClient, type WebhookCall, type WebhookReply } from "../../contract/client.js";
import { formatMs, wantsColor } from "../../contract/reporters/pretty.js";
import { webhookUrlProblem } from "../../testing/platform/url-policy.js";
import { BACKEND_OPTIONS, EXIT, describeNetworkError, parseCommandArgs, secretFrom, urlFrom, type Command } from "../command.js";
import { NO_SKU, loadCliConfig } from "../load-config.js";

type Level = "ok" | "warn" | "fail";
interface Finding {
  level: Level;
  check: string;
  detail: string;
  fix?: string;
}

const BUDGET_MS = 5_000;
const DOCTOR_SESSION = "vizochok-kit-doctor";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check clock skew, URL rules, signature enforcement and latency, with the fix for each problem",
  usage: `vizochok-kit doctor --url BASE --secret S [--config FILE]

Checks what makes VIZOCHOK's calls fail in production and prints the fix for each problem:
the server's clock (from its Date header), the production URL rules (HTTPS, not a private or
loopback address), that unsigned and stale requests are refused, and each webhook's latency
against the 5 s budget. It sends only harmless requests (a products check, a cart clear and a
cart GET for the session "${DOCTOR_SESSION}"). Exits 1 when a check fails.

  --url BASE         where your webhooks live, e.g. https://shop.example.com/api/vizochok
                     (default: $VIZOCHOK_WEBHOOK_URL)
  --secret S         the webhook secret (default: $VIZOCHOK_WEBHOOK_SECRET)
  --config FILE      the contract config, for its paths, storeId and inStockSku
  --store-id ID      default: the config's storeId, else store-1
  --in-stock-sku SKU what the products check asks for (default: the config's, else no SKU)
  --json             print the findings as one JSON object ({ ok, findings: [{ level, check, detail, fix }] })
  -h, --help         show this help`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      options: {
        ...BACKEND_OPTIONS,
        json: { type: "boolean" },
      },
    });
    const baseUrl = urlFrom(values.url, io);
    const secret = secretFrom(values.secret, io);
    const config = await loadCliConfig(io, values, { needsInStockSku: false });
    const client = createContractClient({ baseUrl, secret, paths: config.paths, now: io.now });
    const skus = config.inStockSku === NO_SKU ? [] : [config.inStockSku];

    const findings: Finding[] = [...(await checkUrl(baseUrl))];
    const calls: Array<[string, WebhookCall]> = [
      ["products", { target: "products", body: { skus, store_id: config.storeId } }],
      ["cart", { target: "cart", body: { action: "clear", store_id: config.storeId, session_id: DOCTOR_SESSION } }],
    ];
    if (config.paths.cartGet !== null) {
      calls.push(["cart GET", { target: "cartGet", query: { store_id: config.storeId, session_id: DOCTOR_SESSION } }]);
    }
    let dateHeader: { value: string; at: number; uncertainty: number } | undefined;
    let unreachable: { check: string; detail: string } | undefined;
    for (const [name, call] of calls) {
      const reply = await attempt(client, call);
      if (reply instanceof Error) {
        const detail = reply instanceof NoAnswerViolation && reply.kind !== "unreachable" ? reply.message : describeNetworkError(reply, baseUrl);
        if (reply instanceof NoAnswerViolation && reply.kind === "unreachable") {
          unreachable = { check: `${name} webhook`, detail };
          break;
        }
        findings.push({ level: "fail", check: `${name} webhook`, detail, fix: "VIZOCHOK gives up after 5 s and retries once; answer every webhook well within it" });
        continue;
      }
      const date = reply.headers.get("date");
      if (dateHeader === undefined && date !== null) dateHeader = { value: date, at: io.now() - reply.latencyMs / 2, uncertainty: reply.latencyMs / 2 + 50 };
      findings.push(latencyFinding(name, reply));
    }
    if (unreachable !== undefined) {
      // Nothing else can be checked; one line instead of a clock warning and failed checks.
      findings.push({ level: "fail", ...unreachable, fix: "start the backend, or check the host and port in --url" });
    } else {
      findings.push(clockFinding(dateHeader));
      findings.push(await enforcement(client, "an unsigned request", { ...calls[0]![1], unsigned: true }));
      findings.push(await enforcement(client, "a request signed 301 s ago", { ...calls[0]![1], timestamp: client.nowSeconds() - 301 }));
    }
    client.close();

    const failed = findings.filter((f) => f.level === "fail").length;
    const warned = findings.filter((f) => f.level === "warn").length;
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ ok: failed === 0, failed, warnings: warned, findings })}\n`);
      return failed > 0 ? EXIT.failed : EXIT.ok;
    }
    const color = wantsColor(io.stdout, io.env);
    const label: Record<Level, string> = color
      ? { ok: "\u001b[32mOK  \u001b[0m", warn: "\u001b[33mWARN\u001b[0m", fail: "\u001b[31mFAIL\u001b[0m" }
      : { ok: "OK  ", warn: "WARN", fail: "FAIL" };
    for (const finding of findings) {
      io.stdout.write(`${label[finding.level]} ${finding.check}: ${finding.detail}\n`);
      if (finding.fix !== undefined) io.stdout.write(`     fix: ${finding.fix}\n`);
    }
    io.stdout.write(`\n${failed} failed, ${warned} warnings, ${findings.length - failed - warned} ok\n`);
    return failed > 0 ? EXIT.failed : EXIT.ok;
  },
};

async function attempt(client: ContractClient, call: WebhookCall): Promise<WebhookReply | Error> {
  try {
    return await client.send(call);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function checkUrl(baseUrl: string): Promise<Finding[]> {
  const check = "production URL";
  const problem = webhookUrlProblem(baseUrl, true);
  const fix = "serve the webhooks over HTTPS on a public host name; VIZOCHOK refuses other URLs (fine for local testing)";
  if (problem !== undefined) return [{ level: "warn", check, detail: `${baseUrl}: ${problem}`, fix }];
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0) return [{ level: "ok", check, detail: "HTTPS on a public address" }];
  try {
    const addresses = await lookup(host, { all: true });
    const internal = addresses.filter((a) => webhookUrlProblem(`https://${a.family === 6 ? `[${a.address}]` : a.address}/`, true) !== undefined);
    if (internal.length > 0) {
      return [{ level: "warn", check, detail: `${host} resolves to ${internal.map((a) => a.address).join(", ")}, a private address`, fix }];
    }
    return [{ level: "ok", check, detail: `HTTPS, ${host} resolves to public addresses` }];
  } catch (error) {
    return [{ level: "fail", check, detail: `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? "error"})`, fix: "publish a DNS record for the host" }];
  }
}

function latencyFinding(name: string, reply: WebhookReply): Finding {
  const check = `${name} webhook`;
  const took = `${reply.status} in ${formatMs(reply.latencyMs)}`;
  if (reply.status === 401 || reply.status === 403) {
    return { level: "fail", check, detail: `a correctly signed request was refused (${took})`, fix: "use the same secret on both sides and verify the raw body bytes, before any JSON parsing" };
  }
  if (reply.status === 404 || reply.status === 405) {
    return { level: "fail", check, detail: `${reply.sent.split(" ").slice(0, 2).join(" ")} → ${reply.status}`, fix: "check --url (the base, without /check-products) and the paths in the config" };
  }
  if (reply.status >= 300) {
    return { level: "fail", check, detail: `answered ${took}`, fix: "a correctly signed webhook must be answered 200; see your server log" };
  }
  if (reply.latencyMs > BUDGET_MS) {
    return { level: "fail", check, detail: `${took}, over VIZOCHOK's 5 s budget`, fix: "VIZOCHOK gives up after 5 s and retries once; answer from an index or a cache" };
  }
  if (reply.latencyMs > BUDGET_MS / 2) {
    return { level: "warn", check, detail: `${took}, over half of the 5 s budget`, fix: "leave headroom for a slow day: aim for well under a second" };
  }
  return { level: "ok", check, detail: `${took} (budget 5 s)` };
}

function clockFinding(date: { value: string; at: number; uncertainty: number } | undefined): Finding {
  const check = "clock skew";
  const serverTime = date === undefined ? Number.NaN : Date.parse(date.value);
  if (date === undefined || Number.isNaN(serverTime)) {
    return { level: "warn", check, detail: "the server sent no Date header, so its clock could not be read", fix: "send a Date header (most servers do by default)" };
  }
  // Date is truncated to the second, and the server stamped it some time during the round trip.
  const behind = date.at - date.uncertainty - (serverTime + 1000);
  const ahead = serverTime - (date.at + date.uncertainty);
  const skew = behind > 0 ? -Math.ceil(behind / 1000) : ahead > 0 ? Math.ceil(ahead / 1000) : 0;
  const detail = `the server's clock is ${skew === 0 ? "within a second of" : `${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"}`} this machine's`;
  const fix = "run NTP on the server (chrony or systemd-timesyncd); signatures older or newer than 300 s are refused";
  if (Math.abs(skew) > 300) return { level: "fail", check, detail, fix };
  if (Math.abs(skew) > 30) return { level: "warn", check, detail, fix };
  return { level: "ok", check, detail };
}

async function enforcement(client: ContractClient, what: string, call: WebhookCall): Promise<Finding> {
  const check = "signature enforcement";
  const reply = await attempt(client, call);
  if (reply instanceof Error) return { level: "fail", check, detail: `${what}: ${describeNetworkError(reply, client.baseUrl)}` };
  if (reply.status === 401 || reply.status === 400 || reply.status === 403) {
    return { level: "ok", check, detail: `${what} was refused with ${reply.status}` };
  }
  return {
    level: "fail",
    check,
    detail: `${what} was answered ${reply.status}`,
    fix: 'verify HMAC-SHA256 of "{timestamp}.{raw body}" and reject when |now - timestamp| > 300 s, before acting',
  };
}
