-- The outbox claim (src/dingtalk/outbox/outbox-rows.ts, claimDue) takes the oldest unfinished rows of each API
-- (rate-limit bucket) on its own, so a chat reply is never queued behind a fan-out of cards. This index hands it
-- those rows in id order without walking the sent history, which grows without end while the queue stays
-- small: it is partial (unfinished rows only). schema.prisma cannot express a partial index:
-- test/integration/migrations.test.ts allows exactly this one by name and definition.

-- CreateIndex
CREATE INDEX "outbox_message_due_idx" ON "outbox_message" ("api", "id")
  WHERE "status" IN ('PENDING', 'SENDING');
