-- The weekly digest (issue #14): who got which plan-period's digest. The row is inserted in the transaction that
-- queues the digest message and its chart, and its primary key makes each viewer's digest exactly-once across
-- reruns, catch-up and replicas.

-- CreateTable
CREATE TABLE "digest_sent" (
    "plan_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "with_chart" BOOLEAN NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "digest_sent_pkey" PRIMARY KEY ("plan_id","period","user_id")
);
