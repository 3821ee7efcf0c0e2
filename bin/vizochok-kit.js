#!/usr/bin/env node
// `vizochok-kit`. Installed, it runs the compiled CLI in dist/. In a source checkout (src/ is
// there, dist/ may be missing or stale) it runs the TypeScript through tsx, so `npx vizochok-kit`
// works in this repository without a build.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/vizochok-kit.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli/vizochok-kit.js");
}
