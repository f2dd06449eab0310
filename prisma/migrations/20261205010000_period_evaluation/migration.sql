-- When the current version of a target was published: evaluation excuses every period that began before it
-- (docs/domain.md "Evaluation and escalation", rule 2). Existing published targets take the moment their
-- owner's card for that version was first queued, or their last update when no card was queued.
ALTER TABLE "target" ADD COLUMN "published_at" TIMESTAMPTZ(3);
UPDATE "target" t
   SET "published_at" = COALESCE(
         (SELECT min(k."sent_at") FROM "target_card_sent" k WHERE k."target_id" = t."id" AND k."version" = t."version"),
         t."updated_at")
 WHERE t."state" = 'PUBLISHED';

-- CreateEnum
CREATE TYPE "EvaluationStatus" AS ENUM ('MET', 'MISSED', 'EXCUSED');

-- One row per plan and period evaluated: the claim that makes an evaluation happen once, whichever replica or
-- run gets there first (its insert and the owners' rows commit together).
CREATE TABLE "evaluated_period" (
    "plan_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "run_at" TIMESTAMPTZ(3) NOT NULL,
    "owners" INTEGER NOT NULL,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evaluated_period_pkey" PRIMARY KEY ("plan_id", "period")
);

-- One owner's verdict on one period of a plan. Immutable: never updated or deleted.
CREATE TABLE "period_evaluation" (
    "plan_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "target_ids" TEXT[],
    "target" BIGINT NOT NULL,
    "actual" BIGINT,
    "attainment" DOUBLE PRECISION,
    "status" "EvaluationStatus" NOT NULL,
    "reason" TEXT,
    "streak" INTEGER NOT NULL,
    "ytd_actual" BIGINT NOT NULL,
    "ytd_target" BIGINT NOT NULL,
    "annual_target" BIGINT NOT NULL,
    "required_run_rate" BIGINT NOT NULL,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "period_evaluation_pkey" PRIMARY KEY ("plan_id", "user_id", "period")
);

CREATE INDEX "period_evaluation_plan_id_period_idx" ON "period_evaluation"("plan_id", "period");

ALTER TABLE "evaluated_period" ADD CONSTRAINT "evaluated_period_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "period_evaluation" ADD CONSTRAINT "period_evaluation_plan_id_period_fkey" FOREIGN KEY ("plan_id", "period") REFERENCES "evaluated_period"("plan_id", "period") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "period_evaluation" ADD CONSTRAINT "period_evaluation_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;
