import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The migrated templates fresh test databases are copied from (PGlite tarball, PostgreSQL template database).
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers and databases; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
