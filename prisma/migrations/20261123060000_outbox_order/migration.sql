-- The outbox claim (src/dingtalk/outbox/outbox-rows.ts, claimDue) lets a card update wait for the earlier rows
-- of its card (outTrackId) and a chat reply for the earlier replies of its chat (conversationId). This index
-- makes that check a probe instead of a scan. It is partial (unfinished rows only), so it stays as small as the
-- queue, not the history. schema.prisma cannot express an expression index: test/integration/migrations.test.ts
-- allows exactly this one by name and definition. The expression must stay identical to ORDER_KEY there.

-- CreateIndex
CREATE INDEX "outbox_message_order_key_idx" ON "outbox_message"
  ((COALESCE(payload->>'outTrackId', payload->>'conversationId')), "id")
  WHERE "status" IN ('PENDING', 'SENDING');
