import type { Tx } from "../../db/database.ts";
import { BATCH_SEND_MAX_USERS } from "../../dingtalk/openapi-client.ts";
import { enqueue } from "../../dingtalk/outbox/enqueue.ts";

/**
 * Queues one plain text to many people's 1:1 chats with the bot as `robot.batchSend` outbox rows of at most 20
 * userIds each (PLATFORM.md §4). Keys are `<keyPrefix><n>`; people already in a row under `keyPrefix` are left
 * out, so running again — even after some of them were handled — queues nobody twice. Call it inside the
 * caller's transaction, under the job's (job, period) claim, so two runs never interleave.
 */
export async function enqueueBatchText(
  tx: Tx,
  a: { keyPrefix: string; userIds: string[]; content: string },
): Promise<{ queued: number; recipients: number }> {
  const earlier = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `SELECT jsonb_array_elements_text(payload->'userIds') AS user_id FROM outbox_message
      WHERE starts_with(idempotency_key, $1)`,
    a.keyPrefix,
  );
  const rows = await tx.$queryRawUnsafe<{ n: bigint }[]>(
    "SELECT count(*) AS n FROM outbox_message WHERE starts_with(idempotency_key, $1)",
    a.keyPrefix,
  );
  const done = new Set(earlier.map((e) => e.user_id));
  const todo = [...new Set(a.userIds)].filter((u) => !done.has(u)).sort();
  let index = Number(rows[0]?.n ?? 0);
  let queued = 0;
  for (let i = 0; i < todo.length; i += BATCH_SEND_MAX_USERS) {
    const userIds = todo.slice(i, i + BATCH_SEND_MAX_USERS);
    const payload = { userIds, msgKey: "sampleText", msgParam: { content: a.content } };
    if (await enqueue(tx, { idempotencyKey: `${a.keyPrefix}${index++}`, kind: "robot.batchSend", payload })) queued++;
  }
  return { queued, recipients: todo.length };
}
