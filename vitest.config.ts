import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers and databases; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
