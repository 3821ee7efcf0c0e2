import { formatJsonReport } from "../../contract/reporters/json.js";
import { formatJunitReport } from "../../contract/reporters/junit.js";
import { createPrettyReporter, isInteractive, wantsColor } from "../../contract/reporters/pretty.js";
import { runContract, selectCases } from "../../contract/run-contract.js";
import { BACKEND_OPTIONS, EXIT, UsageError, numberFrom, parseCommandArgs, secretFrom, urlFrom, type Command } from "../command.js";
import { loadCliConfig } from "../load-config.js";

const REPORTERS = ["pretty", "junit", "json"] as const;

export const contractCommand: Command = {
  name: "contract",
  summary: "run every contract case against your webhooks over HTTP",
  usage: `vizochok-kit contract --url BASE --secret S [--config FILE] [--reporter pretty|junit|json] [--out FILE]

Runs the VIZOCHOK contract against BASE/check-products, BASE/cart and BASE/cart/items
(paths can be changed in the config). Exits 0 only when every case passed. Three signed
requests go first: when the backend cannot be reached, verifies with another secret or has no
webhooks under BASE, that is said in one line and no case runs.

  --url BASE          where your webhooks live, e.g. https://shop.example.com/api/vizochok
                      (default: $VIZOCHOK_WEBHOOK_URL)
  --secret S          the webhook secret (default: $VIZOCHOK_WEBHOOK_SECRET)
  --config FILE       JSON test data: {"storeId", "inStockSku", "outOfStockSku",
                      "limitedSku": {"sku", "available"}, "otherStoreId", "paths": {...}}
  --in-stock-sku SKU  instead of (or over) the config's inStockSku
  --store-id ID       instead of (or over) the config's storeId
  --reporter NAME     pretty (default), junit or json
  --out FILE          write the junit/json report here; progress still goes to the terminal
  --timeout SECONDS   how long one request may take (default 5, VIZOCHOK's budget)
  --only NAME         run only this case or group (repeatable), e.g. --only signature
  --list              list the cases and exit
  -h, --help          show this help

Exit codes: 0 all passed, 1 a case failed (the contract is broken), 2 bad arguments or
config, 3 no case ran: the backend cannot be reached, the secrets differ or --url is not the
base path (the junit/json report is still written).`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      options: {
        ...BACKEND_OPTIONS,
        reporter: { type: "string", default: "pretty" },
        out: { type: "string" },
        only: { type: "string", multiple: true },
        timeout: { type: "string" },
        list: { type: "boolean" },
      },
    });
    if (values.list === true) {
      for (const c of selectCases(values.only)) io.stdout.write(`${c.id.padEnd(34)} ${c.title}\n`);
      return EXIT.ok;
    }
    const reporter = values.reporter as string;
    if (!(REPORTERS as readonly string[]).includes(reporter)) throw new UsageError(`--reporter must be one of ${REPORTERS.join(", ")}`);
    const baseUrl = urlFrom(values.url, io);
    const secret = secretFrom(values.secret, io);
    const timeout = numberFrom(values.timeout, "--timeout");
    if (timeout !== undefined && !(timeout > 0 && timeout <= 600)) throw new UsageError(`--timeout must be seconds between 0 and 600, got "${values.timeout}"`);
    const config = await loadCliConfig(io, values, { needsInStockSku: true });
    let only: string[] | undefined;
    try {
      only = values.only === undefined ? undefined : selectCases(values.only).map((c) => c.id);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }

    // Pretty output goes to the terminal unless the machine-readable report takes stdout.
    const pretty = reporter === "pretty" || values.out !== undefined;
    const live = createPrettyReporter({ write: (text) => io.stdout.write(text), interactive: isInteractive(io.stdout, io.env), color: wantsColor(io.stdout, io.env) });
    const report = await runContract({
      baseUrl,
      secret,
      config,
      now: io.now,
      ...(timeout === undefined ? {} : { requestTimeoutMs: timeout * 1000 }),
      ...(only === undefined ? {} : { only }),
      ...(pretty ? { onCaseStart: live.onCaseStart, onCaseEnd: live.onCaseEnd } : {}),
    });
    if (report.preflight !== undefined) io.stderr.write(`vizochok-kit contract: ${report.preflight.message}\n`);
    else if (pretty) live.finish(report);
    if (reporter !== "pretty") {
      const text = reporter === "junit" ? formatJunitReport(report) : formatJsonReport(report);
      if (values.out === undefined) io.stdout.write(text);
      else await io.writeFile(values.out, text);
    }
    return report.preflight !== undefined ? EXIT.notRun : report.ok ? EXIT.ok : EXIT.failed;
  },
};
