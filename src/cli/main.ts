import { EXIT, UsageError, wantsHelp, type Command } from "./command.js";
import { contractCommand } from "./commands/contract.js";
import { doctorCommand } from "./commands/doctor.js";
import { initCommand } from "./commands/init.js";
import { schemaCommand } from "./commands/schema.js";
import { sendCommand } from "./commands/send.js";
import { signCommand } from "./commands/sign.js";
import type { CliIo } from "./io.js";
import { readFileSync } from "node:fs";

const COMMANDS: readonly Command[] = [contractCommand, sendCommand, signCommand, doctorCommand, schemaCommand, initCommand];

const USAGE = `vizochok-kit — check a VIZOCHOK webhook backend, in any language

Usage: vizochok-kit <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Run vizochok-kit <command> --help for a command's options; vizochok-kit --version prints the version.`;

/** The installed package's version (package.json is two levels up from src/cli and dist/cli). */
export function kitVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/**
 * Runs one CLI invocation and resolves to its exit code; it never calls `process.exit`.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout.write(`${kitVersion()}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`vizochok-kit: unknown command "${name}"\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`vizochok-kit ${command.name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`vizochok-kit ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}
