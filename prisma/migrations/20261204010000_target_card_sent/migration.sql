-- The confirm flow keeps when it queued each target card (the confirmation reminder counts from it) in its own
-- table instead of reading the outbox.

-- CreateTable
CREATE TABLE "target_card_sent" (
    "out_track_id" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "target_card_sent_pkey" PRIMARY KEY ("out_track_id")
);

-- CreateIndex
CREATE INDEX "target_card_sent_target_id_version_idx" ON "target_card_sent"("target_id", "version");


-- Cards queued before this table existed: their outbox rows (keyed by outTrackId) say when, so reminders for
-- targets published earlier keep counting from the same moment.
INSERT INTO "target_card_sent" ("out_track_id", "target_id", "version", "user_id", "sent_at")
SELECT o.idempotency_key, m[1], m[2]::int, m[3], o.created_at
  FROM outbox_message o, regexp_match(o.idempotency_key, '^tgt\.([0-9a-f-]{36})\.v(\d+)\.(.+)$') AS m
 WHERE o.kind = 'card.createAndDeliver' AND m IS NOT NULL;
