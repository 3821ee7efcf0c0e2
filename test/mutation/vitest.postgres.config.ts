import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

// The tests `npm run mutate:postgres` runs against the PostgreSQL store's and guard's mutants: the
// in-process ones against a real PostgreSQL at TEST_DATABASE_URL (each file in a schema of its own,
// named after the file, the process and a random suffix, so parallel workers cannot collide). No
// child processes: the multi-instance and server tests run the store in processes StrykerJS does
// not reach.
export default defineConfig({
  ...base,
  test: {
    include: ["test/reference-store/postgres-*.test.ts"],
    exclude: ["test/reference-store/postgres-{contract,instances,server}.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
