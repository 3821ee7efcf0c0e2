// `npm run bench`: runs every test/bench/*.bench.ts in its own process, one after another,
// so one benchmark's heap and sockets never skew the next. Pass names to run a subset:
// `npm run bench -- kit`. Every figure is printed with its target, then all of them are written
// to bench-results.json (not committed) next to the previous run's values, for comparison.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Figure } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, "../../bench-results.json");
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const scratch = mkdtempSync(join(tmpdir(), "bench-"));
const figuresFile = join(scratch, "figures.jsonl");
const started = Date.now();
const load = loadavg()[0]!;
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(here, file)], {
    stdio: "inherit",
    env: { ...process.env, BENCH_FIGURES: figuresFile },
  });
  if (result.status !== 0) {
    console.log(`${file} FAILED (exit ${result.status ?? result.signal})`);
    failed++;
  }
}

const figures: Figure[] = existsSync(figuresFile)
  ? readFileSync(figuresFile, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as Figure)
  : [];
rmSync(scratch, { recursive: true, force: true });
const key = (f: Figure) => `${f.bench}: ${f.name}`;
const previous = readPrevious();
console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(0)} s, load average ${load.toFixed(1)} at the start) ===`);
for (const figure of figures) {
  const before = previous.get(key(figure));
  const goal = figure.target === undefined ? "" : ` [${figure.met ? "met" : "NOT met"}: ${figure.target.op === ">=" ? "≥" : "≤"} ${figure.target.value}]`;
  const was = before === undefined ? "" : ` (previous run: ${before.value.toFixed(2)})`;
  console.log(`${key(figure)} = ${figure.value.toFixed(2)} ${figure.unit}${goal}${was}`);
}
const run = { date: new Date(started).toISOString(), node: process.version, loadAverage: load, benches: files, figures };
const kept = previous.size > 0 ? { ...run, previous: JSON.parse(readFileSync(resultsFile, "utf8")).figures } : run;
writeFileSync(resultsFile, `${JSON.stringify(kept, null, 2)}\n`);
console.log(`figures written to ${resultsFile}`);
process.exit(failed === 0 ? 0 : 1);

function readPrevious(): Map<string, Figure> {
  try {
    const last = JSON.parse(readFileSync(resultsFile, "utf8")) as { figures: Figure[] };
    return new Map(last.figures.map((f) => [key(f), f]));
  } catch {
    return new Map();
  }
}
