import type { WebhookLogger } from "vizochok-merchant-kit";

export interface JsonLoggerOptions {
  /** Where lines go. Default `process.stdout`. */
  write?: (line: string) => void;
  /** Lowest level written. Default "info". */
  level?: "debug" | "info" | "warn" | "error";
  now?: () => number;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * One JSON object per line (`{"level","time","msg",...fields}`), the format log shippers expect.
 * It fits the kit's `WebhookLogger`.
 *
 * @example
 * const logger = createJsonLogger();
 * logger.info({ port: 3000 }, "listening");
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Required<WebhookLogger> {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;
  const lowest = LEVELS.indexOf(options.level ?? "info");
  const at = (level: (typeof LEVELS)[number]) => (fields: Record<string, unknown>, message?: string) => {
    if (LEVELS.indexOf(level) < lowest) return;
    write(`${JSON.stringify({ level, time: new Date(now()).toISOString(), msg: message, ...fields })}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
