-- The confirm flow remembers which target versions its reminder job has already named, and to whom (the owner
-- after 1 workday, the manager after 3): reminders are batched, one message per person per run listing
-- several targets, so the message's key no longer says which targets it covered.

-- CreateTable
CREATE TABLE "confirm_reminder" (
    "target_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "confirm_reminder_pkey" PRIMARY KEY ("target_id","version","kind")
);


-- Reminders sent one per target before this table existed (keys rmd.cfm.<targetId>.v<version> and
-- notice.unconfirmed.<targetId>.v<version>): recorded, so none of them goes out a second time.
INSERT INTO "confirm_reminder" ("target_id", "version", "kind", "user_id", "sent_at")
SELECT m[2], m[3]::int, CASE m[1] WHEN 'rmd.cfm' THEN 'OWNER' ELSE 'MANAGER' END,
       COALESCE(o.payload->'userIds'->>0, substring(o.payload->>'openSpaceId' from 'IM_ROBOT\.(.+)$'), ''), o.created_at
  FROM outbox_message o,
       regexp_match(o.idempotency_key, '^(rmd\.cfm|notice\.unconfirmed)\.([0-9a-f-]{36})\.v(\d+)$') AS m
 WHERE m IS NOT NULL
ON CONFLICT DO NOTHING;
