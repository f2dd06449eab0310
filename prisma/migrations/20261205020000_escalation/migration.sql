-- Escalations after consecutive misses (docs/domain.md "Evaluation and escalation"): one row per escalation,
-- one row per level it reached, one row per action taken on it.

-- CreateEnum
CREATE TYPE "EscalationStatus" AS ENUM ('OPEN', 'RESOLVED', 'CLOSED');

-- CreateEnum
CREATE TYPE "EscalationCloseReason" AS ENUM ('RECOVERED', 'OWNER_LEFT');

-- CreateEnum
CREATE TYPE "EscalationCause" AS ENUM ('OPENED', 'OVERDUE', 'MISSED_AGAIN');

-- CreateEnum
CREATE TYPE "EscalationActionKind" AS ENUM ('COACH', 'ADJUST', 'ACK');

-- CreateTable
CREATE TABLE "escalation" (
    "id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "owner_user_id" TEXT NOT NULL,
    "status" "EscalationStatus" NOT NULL DEFAULT 'OPEN',
    "close_reason" "EscalationCloseReason",
    "streak" INTEGER NOT NULL,
    "missed_periods" TEXT[],
    "opened_period" TEXT NOT NULL,
    "last_period" TEXT NOT NULL,
    "ytd_actual" BIGINT NOT NULL,
    "ytd_target" BIGINT NOT NULL,
    "annual_target" BIGINT NOT NULL,
    "required_run_rate" BIGINT NOT NULL,
    "ladder_ended_at" TIMESTAMPTZ(3),
    "closed_period" TEXT,
    "closed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "escalation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "escalation_level" (
    "escalation_id" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "addressee_user_id" TEXT NOT NULL,
    "plan_owner" BOOLEAN NOT NULL DEFAULT false,
    "cause" "EscalationCause" NOT NULL,
    "period" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "out_track_id" TEXT NOT NULL,

    CONSTRAINT "escalation_level_pkey" PRIMARY KEY ("escalation_id", "level")
);

-- CreateTable
CREATE TABLE "escalation_action" (
    "escalation_id" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "action" "EscalationActionKind" NOT NULL,
    "change_request_ids" TEXT[],
    "acted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "escalation_action_pkey" PRIMARY KEY ("escalation_id", "level")
);

-- CreateIndex
CREATE INDEX "escalation_plan_id_status_idx" ON "escalation"("plan_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "escalation_level_out_track_id_key" ON "escalation_level"("out_track_id");

-- At most one OPEN escalation per plan and owner: two evaluations racing to open one cannot both succeed.
CREATE UNIQUE INDEX "escalation_one_open_per_owner" ON "escalation"("plan_id", "owner_user_id") WHERE "status" = 'OPEN';

-- AddForeignKey
ALTER TABLE "escalation" ADD CONSTRAINT "escalation_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "escalation" ADD CONSTRAINT "escalation_owner_user_id_fkey" FOREIGN KEY ("owner_user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "escalation_level" ADD CONSTRAINT "escalation_level_escalation_id_fkey" FOREIGN KEY ("escalation_id") REFERENCES "escalation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "escalation_level" ADD CONSTRAINT "escalation_level_addressee_user_id_fkey" FOREIGN KEY ("addressee_user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "escalation_action" ADD CONSTRAINT "escalation_action_escalation_id_level_fkey" FOREIGN KEY ("escalation_id", "level") REFERENCES "escalation_level"("escalation_id", "level") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "escalation_action" ADD CONSTRAINT "escalation_action_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;
