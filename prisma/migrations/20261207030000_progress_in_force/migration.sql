-- The figures in force in index order (src/flows/digest/digest-data.ts): per plan and metric, each person's periods
-- with the entry in force first (an IMPORT before a SELF_REPORT, then the latest), with the amount and the source
-- (an index-only scan needs the column the expression reads) in the index, so
-- the digest's year to date over 50,000 people × 52 weeks is one ordered index-only scan instead of a sort of
-- millions of rows. schema.prisma cannot express an expression index (test/integration/migrations.test.ts).
CREATE INDEX "progress_entry_in_force_idx" ON "progress_entry"
  ("plan_id", "metric", "user_id", "period", (("source" = 'IMPORT')) DESC, "id" DESC) INCLUDE ("amount", "source");
