// Runs VIZOCHOK's example clients (test/stub/seed-clients/) as child processes.
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const NODE_CLIENT = fileURLToPath(new URL("./seed-clients/node-client.cjs", import.meta.url));
export const PYTHON_CLIENT = fileURLToPath(new URL("./seed-clients/python-client.py", import.meta.url));
export const PYTHON = "/usr/bin/python3";

const pythonCheck = spawnSync(PYTHON, ["-c", "import websockets"], { encoding: "utf8" });
/** Why the Python client cannot run here, if it cannot. */
export const pythonMissing =
  pythonCheck.status === 0 ? undefined : `${PYTHON} cannot import websockets (apt-get install -y python3-websockets; .ci/run installs it)`;
/** Locally a missing module skips the Python test with the reason in its name; under CI it fails. */
export const skipPython = pythonMissing !== undefined && process.env.CI !== "true";
export const pythonSkipNote = skipPython ? ` (skipped: ${pythonMissing})` : "";

export interface ClientTarget {
  wsUrl: string;
  publicKey: string;
  storeId: string;
}

export function runClient(file: string, args: string[], target: ClientTarget): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, VIZOCHOK_WS_URL: target.wsUrl, VIZOCHOK_PUBLIC_KEY: target.publicKey, VIZOCHOK_STORE_ID: target.storeId };
  return new Promise((resolve) => {
    // The timeout only bounds a hang (the bug these tests exist for); it is not a performance limit.
    execFile(file, args, { env, timeout: 60_000, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}
