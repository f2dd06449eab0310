-- CreateEnum
CREATE TYPE "Metric" AS ENUM ('REVENUE', 'COLLECTION', 'GROSS_PROFIT', 'NEW_CUSTOMERS');

-- CreateEnum
CREATE TYPE "Unit" AS ENUM ('CNY', 'COUNT');

-- CreateEnum
CREATE TYPE "Cadence" AS ENUM ('WEEK', 'MONTH', 'QUARTER');

-- CreateEnum
CREATE TYPE "PlanStatus" AS ENUM ('DRAFT', 'PUBLISHED', 'CLOSED');

-- CreateEnum
CREATE TYPE "Dimension" AS ENUM ('REGION', 'PRODUCT_LINE', 'CHANNEL', 'CUSTOMER_SEGMENT', 'OWNER');

-- CreateEnum
CREATE TYPE "SplitMethod" AS ENUM ('EQUAL', 'WEIGHTS', 'HISTORY', 'MANUAL');

-- CreateEnum
CREATE TYPE "TargetState" AS ENUM ('DRAFT', 'PUBLISHED', 'ARCHIVED');

-- CreateEnum
CREATE TYPE "LedgerKind" AS ENUM ('CREATE', 'SPLIT', 'AMOUNT', 'OWNER', 'PHASING', 'IMPORT', 'ARCHIVE');

-- CreateTable
CREATE TABLE "plan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fiscal_year" INTEGER NOT NULL,
    "metric" "Metric" NOT NULL DEFAULT 'REVENUE',
    "unit" "Unit" NOT NULL DEFAULT 'CNY',
    "total" BIGINT NOT NULL,
    "owner_user_id" TEXT NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    "cadence" "Cadence" NOT NULL DEFAULT 'WEEK',
    "miss_threshold" DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    "escalate_after" INTEGER NOT NULL DEFAULT 2,
    "min_owners" INTEGER NOT NULL DEFAULT 2,
    "status" "PlanStatus" NOT NULL DEFAULT 'DRAFT',
    "phasing" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "target" (
    "id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "parent_id" TEXT,
    "dimension" "Dimension",
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "depth" INTEGER NOT NULL,
    "owner_user_id" TEXT,
    "amount" BIGINT NOT NULL,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "split_dimension" "Dimension",
    "split_method" "SplitMethod",
    "weight" DOUBLE PRECISION,
    "last_year" BIGINT,
    "growth" DOUBLE PRECISION,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" "TargetState" NOT NULL DEFAULT 'DRAFT',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "target_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "target_co_owner" (
    "target_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,

    CONSTRAINT "target_co_owner_pkey" PRIMARY KEY ("target_id","user_id")
);

-- CreateTable
CREATE TABLE "target_month" (
    "target_id" TEXT NOT NULL,
    "month" INTEGER NOT NULL,
    "amount" BIGINT NOT NULL,

    CONSTRAINT "target_month_pkey" PRIMARY KEY ("target_id","month")
);

-- CreateTable
CREATE TABLE "target_ledger" (
    "id" BIGSERIAL NOT NULL,
    "plan_id" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "old_amount" BIGINT,
    "new_amount" BIGINT,
    "changes" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "target_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "target_parent_id_idx" ON "target"("parent_id");

-- CreateIndex
CREATE INDEX "target_owner_user_id_idx" ON "target"("owner_user_id");

-- CreateIndex
CREATE UNIQUE INDEX "target_plan_id_parent_id_key_key" ON "target"("plan_id", "parent_id", "key");

-- CreateIndex
CREATE INDEX "target_co_owner_user_id_idx" ON "target_co_owner"("user_id");

-- CreateIndex
CREATE INDEX "target_ledger_target_id_id_idx" ON "target_ledger"("target_id", "id");

-- CreateIndex
CREATE INDEX "target_ledger_plan_id_id_idx" ON "target_ledger"("plan_id", "id");

-- AddForeignKey
ALTER TABLE "plan" ADD CONSTRAINT "plan_owner_user_id_fkey" FOREIGN KEY ("owner_user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target" ADD CONSTRAINT "target_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target" ADD CONSTRAINT "target_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "target"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target" ADD CONSTRAINT "target_owner_user_id_fkey" FOREIGN KEY ("owner_user_id") REFERENCES "staff"("user_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_co_owner" ADD CONSTRAINT "target_co_owner_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_co_owner" ADD CONSTRAINT "target_co_owner_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_month" ADD CONSTRAINT "target_month_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_ledger" ADD CONSTRAINT "target_ledger_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_ledger" ADD CONSTRAINT "target_ledger_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- The ledger is history: refuse UPDATE and DELETE in the database itself, whatever the code does.
CREATE FUNCTION "target_ledger_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'target_ledger is append-only (% refused)', TG_OP;
END
$$;

CREATE TRIGGER "target_ledger_append_only" BEFORE UPDATE OR DELETE ON "target_ledger"
  FOR EACH ROW EXECUTE FUNCTION "target_ledger_append_only"();
