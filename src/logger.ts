/** The subset of pino's API the kit calls, so a pino (or bunyan, or console-like) logger fits. */
export interface WebhookLogger {
  debug?(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

function line(level: string, fields: Record<string, unknown>, message?: string): string {
  return JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...fields });
}

/** Default: warnings and errors as JSON lines on stderr; info stays quiet. */
export const consoleLogger: WebhookLogger = {
  info() {},
  warn: (fields, message) => console.warn(line("warn", fields, message)),
  error: (fields, message) => console.error(line("error", fields, message)),
};

export const silentLogger: WebhookLogger = { info() {}, warn() {}, error() {} };

type Level = "debug" | "info" | "warn" | "error";

/**
 * Which levels `logger` keeps, when that is known: the kit's own loggers (as they are, not copies
 * with a method replaced) and any logger with pino's `isLevelEnabled`. A line at a level the
 * logger drops is then not built at all. `undefined`: every line is built and handed over.
 */
export function levelCheckOf(logger: WebhookLogger): ((level: Level) => boolean) | undefined {
  if (logger === silentLogger) return () => false;
  if (logger === consoleLogger) return (level) => level === "warn" || level === "error";
  const check = (logger as { isLevelEnabled?: unknown }).isLevelEnabled;
  return typeof check === "function" ? (level) => check.call(logger, level) === true : undefined;
}

/** Enough of a signature to correlate log lines, never enough to reuse it. */
export function redactSignature(signature: string): string {
  return `${signature.slice(0, 8)}…`;
}
