-- CreateEnum
CREATE TYPE "ChangeRequestKind" AS ENUM ('DISPUTE', 'CHANGE');

-- CreateEnum
CREATE TYPE "ChangeRequestStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'STALE', 'WITHDRAWN');

-- CreateTable
CREATE TABLE "target_ack" (
    "id" BIGSERIAL NOT NULL,
    "target_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "out_track_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "target_ack_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_request" (
    "id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "target_version" INTEGER NOT NULL,
    "kind" "ChangeRequestKind" NOT NULL,
    "requester_user_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "current_amount" BIGINT NOT NULL,
    "proposed_amount" BIGINT NOT NULL,
    "status" "ChangeRequestStatus" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "target_ack_target_id_version_key" ON "target_ack"("target_id", "version");

-- CreateIndex
CREATE INDEX "change_request_target_id_status_idx" ON "change_request"("target_id", "status");

-- CreateIndex
CREATE INDEX "change_request_plan_id_status_idx" ON "change_request"("plan_id", "status");

-- AddForeignKey
ALTER TABLE "target_ack" ADD CONSTRAINT "target_ack_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "change_request" ADD CONSTRAINT "change_request_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "change_request" ADD CONSTRAINT "change_request_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

