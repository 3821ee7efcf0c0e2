#!/usr/bin/env node
// `vizochok-kit`. Installed, it runs the compiled CLI in dist/. In a checkout of the repository
// (tsconfig.json is there, dist/ may be missing or stale) it runs the TypeScript through tsx, so
// `npx vizochok-kit` works without a build. The package ships src/ only for its declaration maps.
import { existsSync } from "node:fs";

if (existsSync(new URL("../tsconfig.json", import.meta.url))) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli/vizochok-kit.ts", import.meta.url).href);
} else {
  await import("../dist/cli/vizochok-kit.js");
}
