-- Which version of a target publishing sent to its owner, so the target tree can tell a confirmation that is
-- PENDING (card sent, no answer) from one that is UNSENT (a new version not yet published).

-- AlterTable
ALTER TABLE "target" ADD COLUMN     "sent_version" INTEGER;

-- Targets published before this column existed: their owner card's outbox key (tgt.<id>.v<version>.<owner>,
-- src/flows/confirm/target-card-id.ts) says the current version was sent.
UPDATE "target" t SET "sent_version" = t."version"
 WHERE EXISTS (SELECT 1 FROM "outbox_message" o
                WHERE o."idempotency_key" = 'tgt.' || t."id" || '.v' || t."version" || '.' || t."owner_user_id");
