-- CreateEnum
CREATE TYPE "ProgressSource" AS ENUM ('SELF_REPORT', 'IMPORT');

-- CreateTable
CREATE TABLE "progress_entry" (
    "id" BIGSERIAL NOT NULL,
    "plan_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "metric" "Metric" NOT NULL,
    "amount" BIGINT NOT NULL,
    "new_customers" INTEGER,
    "note" TEXT,
    "source" "ProgressSource" NOT NULL,
    "origin" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "progress_entry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "progress_entry_plan_id_period_user_id_idx" ON "progress_entry"("plan_id", "period", "user_id");

