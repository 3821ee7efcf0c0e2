// Where a store process can be made to die in crash tests. Installed on one connection only
// (TEMP triggers), so nothing here exists outside the test that asks for it.
import type { Database } from "better-sqlite3";

export type CrashPoint =
  /** Inside the cart change's transaction, at its last write (the answer record): nothing commits. */
  | "before-commit"
  /** After the change and its answer committed, before the kit marks it answered and replies. */
  | "after-commit";

export const CRASH_POINTS: readonly CrashPoint[] = ["before-commit", "after-commit"];

/**
 * Calls `die` at `point`. `die` either kills the process for real (SIGKILL) or throws; a
 * throwing `die` also blocks every later write to the guard, as a dead process makes none.
 */
export function installCrashPoint(db: Database, point: CrashPoint, die: () => never): void {
  db.function("crash_point", { deterministic: false }, () => die());
  const when =
    point === "before-commit"
      ? "BEFORE UPDATE OF status ON replay_guard WHEN OLD.status IS NULL AND NEW.status IS NOT NULL"
      : "BEFORE UPDATE OF answered_at ON replay_guard WHEN NEW.answered_at IS NOT NULL";
  db.exec(`CREATE TEMP TRIGGER crash_here ${when} BEGIN SELECT crash_point(); END`);
  db.exec("CREATE TEMP TRIGGER dead_process_writes_nothing BEFORE DELETE ON replay_guard BEGIN SELECT crash_point(); END");
}
