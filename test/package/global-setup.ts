import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

// One directory per `vitest run` where the first test file that needs the packed package builds
// and installs it (test/package/packed.ts); every other file reuses that one tarball and install.
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "vizochok-kit-package-"));
  project.provide("packageWorkDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    packageWorkDir: string;
  }
}
