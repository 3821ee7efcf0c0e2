// The PostgreSQL and Redis servers the scale-out tests need. Locally, an unreachable server skips
// those tests with the reason in their name; under CI=true it fails the run instead.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";
import { openPool } from "../../reference-store/postgres/database.js";

export const TEST_DATABASE_URL = process.env["TEST_DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env["TEST_REDIS_URL"] || "redis://127.0.0.1:6379";

function unreachable(what: string, url: string, error: unknown): string {
  const reason = `${what} unreachable at ${url.replace(/\/\/[^@/]*@/, "//")}: ${error instanceof Error ? error.message : String(error)}`;
  if (process.env["CI"] === "true") throw new Error(`${reason} (CI=true requires it)`);
  return reason;
}

export interface TestSchema {
  /** Set when PostgreSQL is unreachable outside CI: the tests using it are skipped with this reason. */
  skipReason: string | undefined;
  /** The schema's name, unique to this test file and run. */
  name: string;
  /** TEST_DATABASE_URL with `search_path` set to the schema, for pools and child processes. */
  url: string;
  /** Opens a pool on the schema; closed by `drop()`. */
  pool(max?: number): pg.Pool;
  /** Runs SQL in the schema outside any pool of the code under test. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Closes every pool opened here and drops the schema. */
  drop(): Promise<void>;
}

/**
 * A fresh schema for one test file: created now, dropped by `drop()` (call it in `afterAll`).
 *
 * @example
 * const schema = await createTestSchema("store");
 * describe.skipIf(schema.skipReason)(`store on PostgreSQL ${schema.skipReason ?? ""}`, () => { … });
 */
export async function createTestSchema(label: string): Promise<TestSchema> {
  const name = `t_${label.replace(/\W/g, "_")}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const url = withSearchPath(TEST_DATABASE_URL, name);
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${name}"`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    const skipReason = `(skipped: ${unreachable("PostgreSQL", TEST_DATABASE_URL, error)})`;
    return { skipReason, name, url, pool: () => { throw new Error(skipReason); }, sql: async () => { throw new Error(skipReason); }, drop: async () => undefined };
  }
  const pools: pg.Pool[] = [];
  const own = openPool(url, { max: 2 });
  pools.push(own);
  return {
    skipReason: undefined,
    name,
    url,
    pool(max = 10) {
      const pool = openPool(url, { max });
      pools.push(pool);
      return pool;
    },
    async sql(text, values) {
      return (await own.query(text, values)).rows;
    },
    async drop() {
      await Promise.all(pools.splice(0).map((pool) => pool.end().catch(() => undefined)));
      await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await admin.end();
    },
  };
}

/** `url` with libpq's `options=-c search_path=<schema>`. */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", `-c search_path=${schema}`);
  // Connections are told apart by schema in pg_stat_activity.
  parsed.searchParams.set("application_name", schema);
  return parsed.toString();
}

/** Whether Redis answers PING; `skipReason` as for PostgreSQL. */
export async function probeRedis(): Promise<string | undefined> {
  const { createClient } = await import("redis");
  const client = createClient({ url: TEST_REDIS_URL, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `(skipped: ${unreachable("Redis", TEST_REDIS_URL, error)})`;
  } finally {
    if (client.isOpen) await client.quit().catch(() => undefined);
  }
}

/** Shows, in the test report, a suite that did not run and why. */
export function reportSkipped(name: string, reason: string): void {
  describe.skipIf(true)(`${name} ${reason}`, () => {
    it("needs the server", () => undefined);
  });
}
