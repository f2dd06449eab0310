import { type Database, type PrismaClient, rawQuery, type SqlRunner, type Tx } from "../../db/database.ts";
import {
  API,
  type BatchSendInput,
  type CardCreateBody,
  type CardUpdateBody,
  type TodoCreateBody,
} from "../openapi-client.ts";

/** What an outbox row asks DingTalk to do, with the payload each kind carries. */
export interface OutboxPayloads {
  "card.createAndDeliver": CardCreateBody;
  "card.update": CardUpdateBody;
  "robot.batchSend": BatchSendInput;
  "session.reply": SessionReplyPayload;
  "todo.create": TodoCreatePayload;
  "todo.update": TodoUpdatePayload;
  "robot.image": ImageMessagePayload;
}

/**
 * A PNG to `userId`'s 1:1 chat (docs/dingtalk.md §4.0): uploaded with `/media/upload`, then sent as
 * `sampleImageMsg` with the media_id. Once the upload succeeded the row keeps `mediaId` instead of `png`, so a
 * retry of the send does not upload again (and the table does not keep the image).
 */
export interface ImageMessagePayload {
  userId: string;
  /** The PNG, base64; gone once uploaded. */
  png?: string;
  fileName: string;
  mediaId?: string;
}

/**
 * A to-do for `userId`: the body without `executorIds`, which take the person's unionId, looked up when the row
 * is sent (flows know userIds; docs/dingtalk.md §7). The created task (its `id`) is the row's `result`.
 */
export interface TodoCreatePayload {
  userId: string;
  body: Omit<TodoCreateBody, "executorIds">;
}

/** A change to the to-do created by the `todo.create` row keyed `createKey` (its task id is in that row's result). */
export interface TodoUpdatePayload {
  createKey: string;
  done: boolean;
}

/** A chat reply through a message's session webhook (docs/dingtalk.md §2.1). */
export interface SessionReplyPayload {
  url: string;
  /** The webhook body (text / markdown …). */
  body: Record<string, unknown>;
  /** `sessionWebhookExpiredTime` (ms); absent = never checked. */
  expiresAt?: number;
  /** Replies of one chat go out in the order they were stored (see `claimDue`). */
  conversationId?: string;
  /**
   * What to send instead once the webhook would have expired by the time the call lands: a claim turns the row
   * into this `robot.batchSend` (docs/dingtalk.md §2.1). Without it (group chats) an expired reply is DEAD.
   */
  fallback?: BatchSendInput;
}
export type OutboxKind = keyof OutboxPayloads;

/** The rate-limit bucket of each kind (DingTalk limits per app per API); the worker claims per bucket. */
export const KIND_API: Record<OutboxKind, string> = {
  "card.createAndDeliver": API.createAndDeliver,
  "card.update": API.updateCard,
  "robot.batchSend": API.batchSend,
  "session.reply": API.sessionReply,
  "todo.create": API.todoCreate,
  "todo.update": API.todoUpdate,
  // Claimed with the uploads: each row makes an upload and a batchSend call, each under its own API's limit.
  "robot.image": API.mediaUpload,
};

export interface EnqueueInput<K extends OutboxKind = OutboxKind> {
  /**
   * Makes the send exactly-once: enqueueing the same key again does nothing. For a card, use its outTrackId
   * (derived from what it shows, e.g. target id + version + owner, docs/architecture.md).
   */
  idempotencyKey: string;
  kind: K;
  payload: OutboxPayloads[K];
}

/**
 * Queues one DingTalk send. Pass the caller's transaction (`Tx`) so the state change that calls for the message
 * and the message itself commit or roll back together; a `Database` works outside transactions.
 * Returns false when a row with this idempotency key already exists, or existed and was sent and then deleted
 * by the retention job (its key is kept in `outbox_sent_key`): the duplicate is a no-op.
 */
export async function enqueue<K extends OutboxKind>(
  target: Tx | PrismaClient | Database | SqlRunner,
  input: EnqueueInput<K>,
): Promise<boolean> {
  const on: Tx | SqlRunner = "prisma" in target ? target.prisma : target;
  const inserted = await rawQuery(
    on,
    `INSERT INTO outbox_message (idempotency_key, kind, api, payload)
     SELECT $1, $2, $3, $4::jsonb
     WHERE NOT EXISTS (SELECT 1 FROM outbox_sent_key WHERE idempotency_key = $1)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1`,
    [input.idempotencyKey, input.kind, KIND_API[input.kind], JSON.stringify(input.payload)],
  );
  return inserted.length === 1;
}

/**
 * Queues many sends in one statement per 5,000 (an evaluation warning thousands of owners): the same
 * exactly-once rule per key as {@link enqueue}. Returns how many rows were new.
 */
export async function enqueueMany(
  target: Tx | PrismaClient | Database,
  inputs: readonly EnqueueInput[],
): Promise<number> {
  const prisma: Tx = "prisma" in target ? target.prisma : target;
  let inserted = 0;
  for (let i = 0; i < inputs.length; i += 5000) {
    const chunk = inputs.slice(i, i + 5000);
    inserted += await prisma.$executeRawUnsafe(
      `INSERT INTO outbox_message (idempotency_key, kind, api, payload)
       SELECT k, kd, a, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(k, kd, a, p)
       WHERE NOT EXISTS (SELECT 1 FROM outbox_sent_key s WHERE s.idempotency_key = t.k)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      chunk.map((c) => c.idempotencyKey),
      chunk.map((c) => c.kind),
      chunk.map((c) => KIND_API[c.kind]),
      chunk.map((c) => JSON.stringify(c.payload)),
    );
  }
  return inserted;
}
