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

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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

/** Runs a `util.parseArgs` call, turning its errors (unknown flag, missing value) into a `UsageError`. */
export function parseCommandArgs<T>(parse: () => T): T {
  try {
    return parse();
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

export function numberFrom(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  return number;
}
