// `npm run store` for crash tests: the same server over DATABASE_PATH, seeded with the test
// catalog, that kills itself with SIGKILL at the point CRASH_AT names (see crash-points.ts).
import { openDatabase } from "../../reference-store/database.js";
import { startStoreServer } from "../../reference-store/server.js";
import { CRASH_POINTS, installCrashPoint, type CrashPoint } from "./crash-points.js";
import { SECRET, SMALL_CATALOG } from "./helpers.js";

const point = process.env["CRASH_AT"] as CrashPoint;
if (!CRASH_POINTS.includes(point)) throw new Error(`CRASH_AT must be one of ${CRASH_POINTS.join(", ")}`);
const db = openDatabase(process.env["DATABASE_PATH"]!);
installCrashPoint(db, point, () => {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL was sent");
});
await startStoreServer({ db, port: 0, host: "127.0.0.1", secret: SECRET, seed: SMALL_CATALOG });
