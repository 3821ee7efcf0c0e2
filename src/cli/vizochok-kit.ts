#!/usr/bin/env node
// The installed entry point (dist/cli/vizochok-kit.js); bin/vizochok-kit.js picks it or the source.
import { processIo } from "./io.js";
import { runCli } from "./main.js";

// A reader that stops early (`vizochok-kit contract --list | head -3`) closes the pipe: that is
// the end of the output, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2), processIo());
