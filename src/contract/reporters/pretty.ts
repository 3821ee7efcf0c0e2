import type { ContractCase } from "../contract-case.js";
import type { CaseResult, ContractReport } from "../run-contract.js";

/** What `createPrettyReporter` takes. */
export interface PrettyReporterOptions {
  /** Where the report goes, e.g. `(text) => process.stdout.write(text)`. */
  write(text: string): void;
  /** A live progress line; only for a terminal. */
  interactive: boolean;
  /** ANSI colour; default `interactive` (see `wantsColor` for FORCE_COLOR and NO_COLOR). */
  color?: boolean;
}

export interface PrettyReporter {
  onCaseStart(contractCase: ContractCase, index: number, total: number): void;
  onCaseEnd(result: CaseResult, index: number, total: number): void;
  finish(report: ContractReport): void;
}

const paint = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const COLORS = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1) };
const PLAIN = { red: String, green: String, yellow: String, dim: String, bold: String };
const CLEAR_LINE = "\r\u001b[2K";

/**
 * Human-readable output: one line per case, the failure's evidence and fix indented under it,
 * a summary at the end. On a terminal it adds colour and a progress line; in CI it is plain text.
 *
 * @example
 * const pretty = createPrettyReporter({ write: (t) => process.stdout.write(t), interactive: isInteractive(process.stdout, process.env) });
 * pretty.finish(await runContract({ baseUrl, secret, config, onCaseStart: pretty.onCaseStart, onCaseEnd: pretty.onCaseEnd }));
 */
export function createPrettyReporter(options: PrettyReporterOptions): PrettyReporter {
  const c = (options.color ?? options.interactive) ? COLORS : PLAIN;
  const label = { passed: c.green("PASS"), failed: c.red("FAIL"), skipped: c.yellow("SKIP") };
  return {
    onCaseStart(contractCase, index, total) {
      if (options.interactive) options.write(`${CLEAR_LINE}${c.dim(`[${index + 1}/${total}] ${contractCase.id} …`)}`);
    },
    onCaseEnd(result) {
      if (options.interactive) options.write(CLEAR_LINE);
      const time = result.status === "skipped" ? "" : c.dim(` (${formatMs(result.durationMs)})`);
      const lines = [`${label[result.status]} ${result.id} — ${result.title}${time}`];
      if (result.message !== undefined) lines.push(...indent(result.status === "skipped" ? `skipped: ${result.message}` : result.message));
      for (const note of result.notes) lines.push(c.dim(`     ${note}`));
      options.write(`${lines.join("\n")}\n`);
    },
    finish(report) {
      const { passed, failed, skipped } = report.counts;
      const parts = [c.green(`${passed} passed`), failed > 0 ? c.red(`${failed} failed`) : `${failed} failed`, `${skipped} skipped`];
      const verdict = report.ok ? c.bold(c.green("contract honoured")) : c.bold(c.red("contract broken"));
      options.write(`\n${verdict}: ${parts.join(", ")} in ${formatMs(report.durationMs)} against ${report.baseUrl}\n`);
    },
  };
}

function indent(text: string): string[] {
  return text.split("\n").map((line) => `     ${visible(line.trimStart())}`);
}

// A backend's answer is quoted in messages; its control bytes must not drive the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

function visible(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/**
 * Colour and progress only on a terminal, and never when NO_COLOR or CI is set or TERM is dumb.
 *
 * @example
 * isInteractive(process.stdout, process.env); // false in a pipe or on a CI runner
 */
/**
 * Whether to colour output. As in Node itself, `FORCE_COLOR` decides when it is set (any value
 * but "0" or "false" turns colour on, even in a pipe); otherwise only an interactive terminal
 * without `NO_COLOR` gets colour.
 *
 * @example
 * wantsColor(process.stdout, { FORCE_COLOR: "1" }); // true, even when stdout is a pipe
 */
export function wantsColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isInteractive(stream, env);
}

export function isInteractive(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.CI !== undefined && env.CI !== "" && env.CI !== "false") return false;
  return env.TERM !== "dumb";
}
