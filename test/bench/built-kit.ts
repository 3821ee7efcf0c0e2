// The kit as a retailer installs it: `dist/`, compiled by tsc as `npm run build` compiles it,
// rather than the source through tsx. tsx's esbuild transform keeps function names by setting
// each function's `name` when the function is created (an `Object.defineProperty` per named
// closure), work the published code never does, so benchmarks that judge the kit load this build.
// It is compiled into a temporary directory, so the checkout's own dist/ is left as it is.
// `BENCH_KIT=source` measures the source through tsx instead, for comparison.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Which kit a benchmark measures, and what to pass its server processes (`BENCH_KIT_ENTRY`). */
export interface KitUnderTest {
  /** "dist" (compiled by tsc) or "source" (through tsx). */
  form: "dist" | "source";
  /** A line for the benchmark's output saying which code was measured. */
  description: string;
  /** Environment for the server processes: where kit-servers.ts imports the kit from. */
  env: NodeJS.ProcessEnv;
  /** The kit's main entry as a module specifier for `import()`. */
  specifier: string;
  remove(): void;
}

export function kitUnderTest(): KitUnderTest {
  if (process.env.BENCH_KIT === "source") {
    return { form: "source", description: "the kit's source through tsx (BENCH_KIT=source)", env: {}, specifier: "vizochok-merchant-kit", remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), "vizochok-kit-bench-"));
  try {
    // The build's imports (zod) resolve through the checkout's node_modules; "type": "module" as in package.json.
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(dir, "dist"), "--declaration", "false", "--declarationMap", "false"], {
      stdio: "inherit",
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const entry = join(dir, "dist", "index.js");
  return {
    form: "dist",
    description: "the kit as published: dist/ compiled by tsc (npm run build)",
    env: { BENCH_KIT_ENTRY: entry },
    specifier: pathToFileURL(entry).href,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
