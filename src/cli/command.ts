import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CliIo } from "./io.js";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** A wrong flag or a missing value: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** 3: the contract could not be run (backend unreachable or misconfigured), not found broken. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notRun: 3 } as const;

/** The flags naming the backend and its test data, shared by contract, send and doctor. */
export const BACKEND_OPTIONS = {
  url: { type: "string" },
  secret: { type: "string" },
  config: { type: "string" },
  "store-id": { type: "string" },
  "in-stock-sku": { type: "string" },
} as const;

/** `-h` or `--help` anywhere in a command's arguments; `runCli` answers it before parsing. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/**
 * A command's arguments through `util.parseArgs` in strict mode; its errors (unknown flag,
 * missing value) become a `UsageError`.
 */
export function parseCommandArgs<const T extends Omit<ParseArgsConfig, "args" | "strict">>(
  args: string[],
  config: T,
): ReturnType<typeof parseArgs<T & { args: string[]; strict: true }>> {
  try {
    return parseArgs({ ...config, args, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required`);
  return value;
}

/** `--secret`, falling back to VIZOCHOK_WEBHOOK_SECRET so secrets stay out of shell history. */
export function secretFrom(value: string | undefined, io: CliIo): string {
  const secret = value ?? io.env.VIZOCHOK_WEBHOOK_SECRET;
  if (secret === undefined || secret === "") throw new UsageError("--secret is required (or set VIZOCHOK_WEBHOOK_SECRET)");
  return secret;
}

/**
 * `--url`, falling back to VIZOCHOK_WEBHOOK_URL. It must be an absolute http(s) URL:
 * `localhost:8080` (no scheme) is a usage error, not a request to a "localhost:" scheme.
 */
export function urlFrom(value: string | undefined, io: CliIo): string {
  const url = value ?? io.env.VIZOCHOK_WEBHOOK_URL;
  if (url === undefined || url === "") throw new UsageError("--url is required (or set VIZOCHOK_WEBHOOK_URL)");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an absolute URL such as http://127.0.0.1:8080/api/vizochok, got "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--url must start with http:// or https://, got "${url}"`);
  }
  return url;
}

/** Why a request to `url` got no answer, naming host and port: `cannot reach 127.0.0.1:8080 (ECONNREFUSED)`. */
export function describeNetworkError(error: unknown, url: string): string {
  const parsed = new URL(url);
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? "443" : "80") : parsed.port;
  const where = `${parsed.hostname}:${port}`;
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error) ?? /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(message)?.[1];
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve ${parsed.hostname} (${code}) for ${where}`;
  if (code !== undefined) return `cannot reach ${where} (${code})`;
  return `no answer from ${where}: ${message}`;
}

/** The first errno-style code on an error or its causes (fetch wraps the socket's error). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]|^UND_ERR/.test(code)) return code;
    current = current instanceof AggregateError ? current.errors[0] : current.cause;
  }
  return undefined;
}

export function numberFrom(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  return number;
}
