import type { WebhookLogger } from "vizochok-merchant-kit";

export interface JsonLoggerOptions {
  /** Where lines go. Default `process.stdout`, the lines of one event-loop turn in one write. */
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
  const write = options.write ?? stdoutPerTurn();
  const now = options.now ?? Date.now;
  const lowest = LEVELS.indexOf(options.level ?? "info");
  const isoTime = lastIsoTime(now);
  const at = (level: (typeof LEVELS)[number]) => {
    if (LEVELS.indexOf(level) < lowest) return () => {};
    const head = `{"level":"${level}","time":"`;
    return (fields: Record<string, unknown>, message?: string) => {
      // A field named like one of the line's own keys replaces its value in place (and a `toJSON`
      // field the whole line), as the spread does.
      if (Object.hasOwn(fields, "level") || Object.hasOwn(fields, "time") || Object.hasOwn(fields, "msg") || Object.hasOwn(fields, "toJSON")) {
        write(`${JSON.stringify({ level, time: isoTime(), msg: message, ...fields })}\n`);
        return;
      }
      // The same line, built without copying `fields` into a new object first.
      const rest = JSON.stringify(fields);
      const msg = message === undefined ? "" : `,"msg":${JSON.stringify(message)}`;
      write(`${head}${isoTime()}"${msg}${rest.length > 2 ? `,${rest.slice(1)}` : "}"}\n`);
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** `now()` as an ISO 8601 string, formatted once per millisecond. */
function lastIsoTime(now: () => number): () => string {
  let last = Number.NaN;
  let text = "";
  return () => {
    const time = now();
    if (time !== last) {
      text = new Date(time).toISOString();
      last = time;
    }
    return text;
  };
}

let sharedStdout: ((line: string) => void) | undefined;

/**
 * Lines logged in one event-loop turn leave in one write, so a busy server pays one system call
 * per turn rather than one per line. They are written before the process exits; only a kill that
 * skips `exit` handlers (SIGKILL) loses the lines of the turn in progress.
 */
function stdoutPerTurn(): (line: string) => void {
  if (sharedStdout !== undefined) return sharedStdout;
  let buffered = "";
  const flush = () => {
    if (buffered === "") return;
    const text = buffered;
    buffered = "";
    process.stdout.write(text);
  };
  process.on("exit", flush);
  sharedStdout = (line) => {
    if (buffered === "") setImmediate(flush);
    buffered += line;
  };
  return sharedStdout;
}
