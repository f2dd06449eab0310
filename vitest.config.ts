import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The migrated templates fresh test databases are copied from (PGlite tarball, PostgreSQL template database).
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something to become true (a page redrawn, a reply sent). Vitest's default gives up
    // after 1 s, which a loaded two-core CI machine exceeds now and then (a dashboard page navigating and loading
    // took longer in one CI run); a poll that succeeds late is still a pass, so it waits up to 15 s.
    expect: { poll: { timeout: 15_000 } },
    // Integration tests start servers and databases; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
