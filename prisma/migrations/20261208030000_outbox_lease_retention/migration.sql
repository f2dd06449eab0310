-- AlterTable
ALTER TABLE "outbox_message" ADD COLUMN     "claimed_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "outbox_sent_key" (
    "idempotency_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "memo" JSONB,

    CONSTRAINT "outbox_sent_key_pkey" PRIMARY KEY ("idempotency_key")
);
