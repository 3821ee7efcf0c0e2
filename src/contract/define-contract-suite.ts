import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { positiveRule, secretRule, type Rule } from "../core/option-rules.js";
import { createContractClient, type ContractClient } from "./client.js";
import { parseContractConfig, type ContractConfig, type ResolvedContractConfig } from "./config.js";
import { PREFLIGHT_TITLE, preflight, type PreflightFailure } from "./preflight.js";
import { runCase, selectCases } from "./run-contract.js";
import { serveSubject, type ContractApp, type ServedSubject } from "./serve-subject.js";

/** What a runner hands a test: vitest's context has `skip(note)`; Jest's hands nothing. */
type TestBody = (context?: { skip?: (note?: string) => void }) => Promise<void>;

/**
 * The parts of a test framework the suite registers with. `import * as vitest from "vitest"`
 * fits as is (so does Jest's global API), which keeps vitest an optional peer: nothing here
 * loads it.
 */
export interface TestApi {
  /** Groups the cases under the suite's name. */
  describe(name: string, body: () => void): unknown;
  /** Registers one case; `it.skip` one whose data the config lacks. */
  it: ((name: string, body: TestBody, timeout?: number) => unknown) & { skip(name: string, body: TestBody): unknown };
  /** Starts the subject (or reads its URL) and runs the preflight. */
  beforeAll(body: () => Promise<void>, timeout?: number): unknown;
  /** Stops what `beforeAll` started. */
  afterAll(body: () => Promise<void>, timeout?: number): unknown;
}

/** What `defineContractSuite` takes: the subject (`url` or `app`), the secret and the config. */
export type ContractSuiteOptions = (
  | {
      /** A running backend: where the three webhook paths are appended (or a function that
       * returns it, called in `beforeAll`, for a backend started by an earlier hook). */
      url: string | (() => string);
    }
  | {
      /** An `http.Server`, request listener or Express app, started on 127.0.0.1:0 by the suite. */
      app: ContractApp;
      /** Where the app mounts the webhooks, e.g. `/api/vizochok`. Default: the root. */
      basePath?: string;
    }
) & {
  /** The secret the backend verifies with, a non-empty string, usually `process.env.VIZOCHOK_WEBHOOK_SECRET`; checked before any case is registered. */
  secret: string;
  /** The config object, or the path of its JSON file (relative to the working directory). */
  config: ContractConfig | string;
  /** The `describe` name. Default "VIZOCHOK contract". */
  name?: string;
  /** Case ids or groups to register; default all. */
  only?: readonly string[];
  /** Milliseconds per case, finite and > 0. Default 30,000. */
  timeoutMs?: number;
  /** Milliseconds per request. Default 5,000: VIZOCHOK gives up after 5 s and retries. */
  requestTimeoutMs?: number;
};

/**
 * Registers every contract case as a test, against a URL or an in-process app.
 *
 * @example
 * import * as vitest from "vitest";
 * import { defineContractSuite } from "vizochok-merchant-kit/testing";
 * defineContractSuite(vitest, { url: "http://127.0.0.1:8080/api/vizochok", secret: "whsec_test", config: "contract.json" });
 */
export function defineContractSuite(test: TestApi, options: ContractSuiteOptions): void {
  // Checked before any test is registered: one error naming the option, not a failure per case.
  const secret = take(secretRule(options?.secret, "secret"));
  const timeoutMs = take(positiveRule(options.timeoutMs, "timeoutMs", 30_000));
  const requestTimeoutMs = take(positiveRule(options.requestTimeoutMs, "requestTimeoutMs", 5_000));
  const config = loadConfig(options.config);
  const runId = randomBytes(4).toString("hex");
  let counter = 0;
  let served: ServedSubject | undefined;
  let client: ContractClient | undefined;
  let stopped: PreflightFailure | undefined;

  test.describe(options.name ?? "VIZOCHOK contract", () => {
    test.beforeAll(async () => {
      if ("url" in options) {
        served = { baseUrl: typeof options.url === "function" ? options.url() : options.url, close: async () => {} };
      } else {
        served = await serveSubject(options.app, options.basePath);
      }
      client = createContractClient({ baseUrl: served.baseUrl, secret, paths: config.paths, timeoutMs: requestTimeoutMs });
      stopped = await preflight(client, config, `vizochok-contract-preflight-${runId}`);
    }, 3 * requestTimeoutMs + 5_000);
    test.afterAll(async () => {
      client?.close();
      await served?.close();
    });

    // A misconfiguration fails this one test with its cause; every case is then skipped with it.
    test.it(`preflight: ${PREFLIGHT_TITLE}`, async () => {
      if (client === undefined) throw new Error("the subject did not start; see the beforeAll error");
      if (stopped !== undefined) throw new Error(stopped.message);
    });

    for (const contractCase of selectCases(options.only)) {
      const name = `${contractCase.id}: ${contractCase.title}`;
      const skipReason = contractCase.skipReason?.(config);
      if (skipReason !== undefined) {
        test.it.skip(`${name} (skipped: ${skipReason})`, async () => {});
        continue;
      }
      test.it(
        name,
        async (context) => {
          if (client === undefined) throw new Error("the subject did not start; see the beforeAll error");
          if (stopped !== undefined) {
            const reason = `not run: ${stopped.message}`;
            // Runners without a dynamic skip (Jest) report the case failed, with the same reason.
            if (context?.skip === undefined) throw new Error(reason);
            context.skip(reason);
            return;
          }
          const result = await runCase(contractCase, { client, config, timeoutMs, unique: (prefix) => `${prefix}-${runId}-${++counter}` });
          if (result.status === "failed") throw new Error(result.message);
        },
        timeoutMs + 5_000,
      );
    }
  });
}

function take<T>(rule: Rule<T>): T {
  if (!rule.ok) throw new TypeError(`defineContractSuite: ${rule.message}`);
  return rule.value;
}

function loadConfig(config: ContractConfig | string): ResolvedContractConfig {
  const input: unknown = typeof config === "string" ? JSON.parse(readFileSync(config, "utf8")) : config;
  const parsed = parseContractConfig(input);
  if (!parsed.ok) throw new TypeError(parsed.message);
  return parsed.config;
}
