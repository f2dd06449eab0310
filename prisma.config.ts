import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { PrismaConfig } from "prisma";

/**
 * Prisma's CLI on these machines cannot download its native engines (see docs/prisma.md), so the CLI
 * runs on the JS engine with an embedded PGlite. It is only used to *write* migrations
 * (`npm run migration:diff`); the service applies them itself at start (src/db/migrate.ts).
 */
// `prisma generate` needs the datasource url to resolve to *some* value, or it tries to download an engine
// (docs/prisma.md). The CLI talks through the adapter below, so this url is never connected to.
process.env.PRISMA_CLI_DATABASE_URL ||= "postgresql://prisma-cli-uses-the-adapter/unused";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  async adapter() {
    // pglite-prisma-adapter 0.6 is typed against an older driver-adapter-utils; the interface is unchanged.
    const adapter = new PrismaPGlite(new PGlite(process.env.PRISMA_CLI_PGLITE_DIR ?? "memory://"));
    return adapter as unknown as import("@prisma/adapter-pg").PrismaPg;
  },
} satisfies PrismaConfig;
