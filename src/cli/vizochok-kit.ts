#!/usr/bin/env node
// The installed entry point (dist/cli/vizochok-kit.js); bin/vizochok-kit.js picks it or the source.
import { processIo } from "./io.js";
import { runCli } from "./main.js";

process.exitCode = await runCli(process.argv.slice(2), processIo());
