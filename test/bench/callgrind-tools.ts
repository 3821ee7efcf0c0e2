// What the two instruction-count benchmarks (callgrind.bench.ts, signature.bench.ts) share:
// whether valgrind is here, switching callgrind's counting on and off in a running process, and
// reading the instruction total back from its output file.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export const hasValgrind = (): boolean => spawnSync("valgrind", ["--version"]).status === 0;

/** Starts or stops counting in a process started with `valgrind --tool=callgrind --instr-atstart=no`. */
export function callgrindControl(pid: number, instrumentation: "on" | "off"): void {
  const result = spawnSync("callgrind_control", ["-i", instrumentation, String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`callgrind_control -i ${instrumentation} failed: ${result.stderr}`);
}

/** The instructions counted in one callgrind output file (0 when it counted none). */
export function callgrindTotal(file: string): number {
  const totals = [...readFileSync(file, "utf8").matchAll(/^(?:summary|totals): (\d+)/gm)].map((m) => Number(m[1]));
  return totals.length > 0 ? Math.max(...totals) : 0;
}
