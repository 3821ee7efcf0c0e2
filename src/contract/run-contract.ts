import { randomBytes } from "node:crypto";
import { secretRule } from "../core/option-rules.js";
import { CONTRACT_CASES } from "./cases/index.js";
import { createContractClient, type ContractClient } from "./client.js";
import { ContractViolation, type ContractCase, type ContractContext, type ContractGroup } from "./contract-case.js";
import type { ResolvedContractConfig } from "./config.js";
import { preflight, type PreflightFailure } from "./preflight.js";

export type CaseStatus = "passed" | "failed" | "skipped";

export interface CaseResult {
  id: string;
  group: ContractGroup;
  title: string;
  status: CaseStatus;
  durationMs: number;
  /** Why it failed or was skipped. */
  message?: string;
  notes: string[];
}

export interface ContractReport {
  baseUrl: string;
  startedAt: string;
  durationMs: number;
  results: CaseResult[];
  counts: Record<CaseStatus, number>;
  /** True when no case failed and the preflight passed. */
  ok: boolean;
  /** Set when the cases were not run: the backend cannot be reached or is misconfigured. */
  preflight?: PreflightFailure;
}

/** What `runContract` takes. */
export interface RunContractOptions {
  /** Where the three webhook paths are appended, e.g. `https://shop.example.com/api/vizochok`. */
  baseUrl: string;
  /** The secret every request is signed with, a non-empty string (usually `VIZOCHOK_WEBHOOK_SECRET`). */
  secret: string;
  /** The test data, as `parseContractConfig` resolves it. */
  config: ResolvedContractConfig;
  /** Case ids or groups to run; default all. */
  only?: readonly string[];
  /** Milliseconds one case may take. Default 30,000. */
  caseTimeoutMs?: number;
  /** Milliseconds one request may take. Default 5,000: VIZOCHOK gives up after 5 s and retries. */
  requestTimeoutMs?: number;
  /** Check first that the backend is reachable and configured (default true). When it is not,
   * every case is reported skipped with the cause, without `onCaseStart`/`onCaseEnd`. */
  preflight?: boolean;
  /** The clock requests are signed with, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Called as each case starts (a reporter's progress line). */
  onCaseStart?(contractCase: ContractCase, index: number, total: number): void;
  /** Called with each case's result as it ends. */
  onCaseEnd?(result: CaseResult, index: number, total: number): void;
}

/** Selects cases by id or group; unknown names are an error, so a typo never passes silently. */
export function selectCases(only: readonly string[] | undefined): ContractCase[] {
  if (only === undefined || only.length === 0) return [...CONTRACT_CASES];
  const unknown = only.filter((name) => !CONTRACT_CASES.some((c) => c.id === name || c.group === name));
  if (unknown.length > 0) throw new TypeError(`unknown contract case or group: ${unknown.join(", ")}`);
  return CONTRACT_CASES.filter((c) => only.includes(c.id) || only.includes(c.group));
}

/**
 * Runs the contract cases one after another against a merchant's webhooks over HTTP. Each case
 * uses sessions of its own and clears them afterwards, so the backend is left as it was found.
 *
 * @example
 * const report = await runContract({ baseUrl: "http://127.0.0.1:8080/api/vizochok", secret, config });
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function runContract(options: RunContractOptions): Promise<ContractReport> {
  const secret = secretRule(options.secret, "secret");
  if (!secret.ok) throw new TypeError(`runContract: ${secret.message}`);
  const now = options.now ?? Date.now;
  const started = performance.now();
  const startedAt = new Date(now()).toISOString();
  const cases = selectCases(options.only);
  const client = createContractClient({
    baseUrl: options.baseUrl,
    secret: options.secret,
    paths: options.config.paths,
    now,
    ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
  });
  const runId = randomBytes(4).toString("hex");
  let counter = 0;
  const results: CaseResult[] = [];
  let stopped: PreflightFailure | undefined;

  try {
    if (options.preflight !== false) stopped = await preflight(client, options.config, `vizochok-contract-preflight-${runId}`);
    for (const [index, contractCase] of cases.entries()) {
      if (stopped !== undefined) {
        results.push(notRun(contractCase, stopped));
        continue;
      }
      options.onCaseStart?.(contractCase, index, cases.length);
      const result = await runCase(contractCase, {
        client,
        config: options.config,
        timeoutMs: options.caseTimeoutMs ?? 30_000,
        unique: (prefix) => `${prefix}-${runId}-${++counter}`,
      });
      results.push(result);
      options.onCaseEnd?.(result, index, cases.length);
    }
  } finally {
    client.close();
  }

  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const result of results) counts[result.status]++;
  return {
    baseUrl: client.baseUrl,
    startedAt,
    durationMs: performance.now() - started,
    results,
    counts,
    ok: counts.failed === 0 && stopped === undefined,
    ...(stopped === undefined ? {} : { preflight: stopped }),
  };
}

/** A case the preflight stopped: skipped, with the preflight's one line as the reason. */
export function notRun(contractCase: ContractCase, failure: PreflightFailure): CaseResult {
  const { id, group, title } = contractCase;
  return { id, group, title, status: "skipped", durationMs: 0, message: `not run: ${failure.message}`, notes: [] };
}

interface CaseEnvironment {
  client: ContractClient;
  config: ResolvedContractConfig;
  timeoutMs: number;
  unique(prefix: string): string;
}

/** Runs one case and always clears the sessions it made, even when it failed. */
export async function runCase(contractCase: ContractCase, environment: CaseEnvironment): Promise<CaseResult> {
  const { id, group, title } = contractCase;
  const notes: string[] = [];
  const skipReason = contractCase.skipReason?.(environment.config);
  if (skipReason !== undefined) return { id, group, title, status: "skipped", durationMs: 0, message: skipReason, notes };

  const sessions: string[] = [];
  const context: ContractContext = {
    client: environment.client,
    config: environment.config,
    newSession() {
      const session = environment.unique("vizochok-contract");
      sessions.push(session);
      return session;
    },
    unique: environment.unique,
    note: (text) => notes.push(text),
  };
  const started = performance.now();
  let failure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ContractViolation(`the case did not finish within ${environment.timeoutMs} ms`)), environment.timeoutMs);
    });
    await Promise.race([contractCase.run(context), timeout]);
  } catch (error) {
    failure = error instanceof ContractViolation ? error.message : `${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
  const durationMs = performance.now() - started;
  await clearSessions(environment, sessions);
  return failure === undefined
    ? { id, group, title, status: "passed", durationMs, notes }
    : { id, group, title, status: "failed", durationMs, message: failure, notes };
}

async function clearSessions(environment: CaseEnvironment, sessions: string[]): Promise<void> {
  await Promise.all(
    sessions.map((session) =>
      environment.client
        .send({ target: "cart", body: { action: "clear", store_id: environment.config.storeId, session_id: session } })
        .catch(() => undefined),
    ),
  );
}
