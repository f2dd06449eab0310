-- Change approval (docs/domain.md "Change approval"): a request's route (tier, the approvers skipped), its steps
-- in order with their decisions, where the difference goes (rebalance), what it does to each target it
-- touches, with the versions it was made against (a later one makes it STALE), the parent's 待分配 reserve child, the ledger's link to the request it applied, a
-- plan's approval thresholds, and the chat draft that waits for a person's 「确认」.


-- CreateEnum
CREATE TYPE "RebalanceMode" AS ENUM ('RESERVE', 'SIBLINGS', 'PARENT');

-- CreateEnum
CREATE TYPE "ApprovalStepStatus" AS ENUM ('WAITING', 'PENDING', 'APPROVED', 'REJECTED', 'CLOSED');

-- AlterTable
ALTER TABLE "plan" ADD COLUMN     "approval_thresholds" JSONB;

-- AlterTable
ALTER TABLE "target" ADD COLUMN     "reserve" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "target_ledger" ADD COLUMN     "change_request_id" TEXT;

-- AlterTable
ALTER TABLE "change_request" ADD COLUMN     "decided_at" TIMESTAMPTZ(3),
ADD COLUMN     "rebalance" "RebalanceMode" NOT NULL DEFAULT 'RESERVE',
ADD COLUMN     "skipped" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'API',
ADD COLUMN     "status_note" TEXT,
ADD COLUMN     "tier" INTEGER,
ADD COLUMN     "effects" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "approval_step" (
    "request_id" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "approver_user_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "status" "ApprovalStepStatus" NOT NULL DEFAULT 'WAITING',
    "pending_since" TIMESTAMPTZ(3),
    "reminded_at" TIMESTAMPTZ(3),
    "handed_over" JSONB NOT NULL DEFAULT '[]',
    "decided_at" TIMESTAMPTZ(3),
    "comment" TEXT,

    CONSTRAINT "approval_step_pkey" PRIMARY KEY ("request_id","level")
);

-- CreateTable
CREATE TABLE "change_draft" (
    "user_id" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "target_ids" TEXT[],
    "proposed_amount" BIGINT,
    "reason" TEXT,
    "source" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_draft_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "approval_step_approver_user_id_status_idx" ON "approval_step"("approver_user_id", "status");

-- AddForeignKey
ALTER TABLE "target_ledger" ADD CONSTRAINT "target_ledger_change_request_id_fkey" FOREIGN KEY ("change_request_id") REFERENCES "change_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_step" ADD CONSTRAINT "approval_step_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "change_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_step" ADD CONSTRAINT "approval_step_approver_user_id_fkey" FOREIGN KEY ("approver_user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "change_draft" ADD CONSTRAINT "change_draft_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Requests stored before routing existed. 发起目标调整 stored placeholders at the current amount: they were never
-- a proposal, so they are withdrawn (the manager can ask again in chat). Of several pending requests for one
-- target, the newest stays pending; the rest are withdrawn.
UPDATE "change_request" SET "status" = 'WITHDRAWN', "status_note" = '审批流程上线前的占位申请，未提出新金额'
 WHERE "status" = 'PENDING' AND "proposed_amount" = "current_amount";
UPDATE "change_request" c SET "status" = 'WITHDRAWN', "status_note" = '同一目标有更新的待审批申请'
 WHERE c."status" = 'PENDING'
   AND EXISTS (SELECT 1 FROM "change_request" d
                WHERE d."target_id" = c."target_id" AND d."status" = 'PENDING'
                  AND (d."created_at", d."id") > (c."created_at", c."id"));

-- At most one pending request per target: a second one is refused, and two racing submissions cannot both win.
CREATE UNIQUE INDEX "change_request_one_pending_per_target" ON "change_request"("target_id") WHERE "status" = 'PENDING';
