import { afterAll } from "vitest";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { createPostgresReplayGuard } from "../../reference-store/postgres/replay-guard.js";
import { defineReplayGuardContract } from "../kit/replay-guard-contract.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("replay_guard");
afterAll(() => schema.drop());

if (schema.skipReason === undefined) {
  const pool = schema.pool(4);
  await migratePostgres(pool);
  defineReplayGuardContract(
    "createPostgresReplayGuard()",
    async (now) => {
      await schema.sql("DELETE FROM replay_guard");
      const guard = createPostgresReplayGuard({ pool, now });
      return {
        guard,
        // The fenced write inside a transaction of its own, as a change's transaction makes it.
        commitAnswer: async (claim, answer) => {
          const tx = await pool.connect();
          try {
            await tx.query("BEGIN");
            await guard.commitAnswer(tx, claim, answer);
            await tx.query("COMMIT");
          } catch (error) {
            await tx.query("ROLLBACK");
            throw error;
          } finally {
            tx.release();
          }
        },
      };
    },
    { commitsWithChange: true },
  );
} else {
  reportSkipped("createPostgresReplayGuard()", schema.skipReason);
}
