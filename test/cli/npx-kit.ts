import { spawn } from "node:child_process";

/**
 * `npx vizochok-kit <args>` as a user runs it in this repository: no build, the bin launcher runs
 * the TypeScript source. Spawned asynchronously, so servers in the test's own process keep
 * answering while it runs.
 */
export function npxKit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["vizochok-kit", ...args], {
      env: { ...process.env, CI: "", NO_COLOR: "", npm_config_loglevel: "error", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
