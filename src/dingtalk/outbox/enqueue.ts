import { type Database, type PrismaClient, rawQuery, type SqlRunner, type Tx } from "../../db/database.ts";
import {
  API,
  type BatchSendInput,
  type CardCreateBody,
  type CardUpdateBody,
  type TodoCreateBody,
} from "../openapi-client.ts";
import { localNow } from "./delay-meter.ts";
import { ORDER_KEY, type OutboxRow } from "./outbox-rows.ts";

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
 * What rows were stored through for the claims to find (PENDING), by the object passed in: a handler's `tx` or
 * `sql`. After its commit, a chat message's transaction wakes the worker only if it stored such rows (a prompt
 * card's update, say), its replies being handed off (see {@link enqueueHeld}).
 */
const storedForClaims = new WeakSet<object>();

/** Whether a row for the claims was stored through any of `on` (see {@link storedForClaims}). */
export function storedRowsForClaims(...on: object[]): boolean {
  return on.some((o) => storedForClaims.has(o));
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
  if (inserted.length === 1) storedForClaims.add(target);
  return inserted.length === 1;
}

/**
 * An outbox row stored already claimed by the worker of this process ({@link enqueueHeld}), to be handed to it once
 * the transaction has committed. `sentAt` is when the insert was sent (local monotonic ms, {@link localNow}): the
 * row's lease, counted by the database from a later moment, surely lasts until `sentAt` + the lease.
 */
export interface HeldRow {
  row: OutboxRow;
  sentAt: number;
}

/**
 * {@link enqueue} for a row its sender will send as soon as the transaction commits (a chat reply): stored as the
 * worker's claim would leave it — SENDING, attempts 1, under a lease of `leaseMs` — so the worker needs no claim
 * statement to find it, and no other sender touches it while the lease runs (the worker renews it, see
 * startOutboxWorker). Should this process die before sending, the lease ends and any worker claims the row as it
 * claims an abandoned one: nothing is lost, nothing is sent twice.
 *
 * Stored PENDING instead, for the claim to order and send, when it may not go first: an unfinished earlier row
 * has its order key (a reply of the same chat not yet sent: replies go out in order, see `claimDue`), or its
 * session webhook would expire within the lease + 5 s (the claim turns such a row into its batchSend fallback).
 * Answers the row when stored claimed; null when stored PENDING, or not at all (a duplicate key, as for
 * {@link enqueue}).
 */
export async function enqueueHeld<K extends OutboxKind>(
  on: Tx | SqlRunner,
  input: EnqueueInput<K>,
  leaseMs: number,
): Promise<HeldRow | null> {
  const payload = input.payload as { outTrackId?: string; conversationId?: string; expiresAt?: number };
  const api = KIND_API[input.kind];
  const sentAt = localNow();
  const rows = await rawQuery<{ id: bigint; held: boolean }>(on, ENQUEUE_HELD_SQL, [
    input.idempotencyKey,
    input.kind,
    api,
    JSON.stringify(input.payload),
    leaseMs,
    payload.outTrackId ?? payload.conversationId ?? null,
    payload.expiresAt ?? null,
  ]);
  const [row] = rows;
  if (!row) return null;
  if (!row.held) {
    storedForClaims.add(on);
    return null;
  }
  const { idempotencyKey: key, kind } = input;
  return {
    row: { id: row.id, idempotency_key: key, kind, api, payload: input.payload, status: "SENDING", attempts: 1 },
    sentAt,
  };
}

/**
 * $1 key, $2 kind, $3 api, $4 payload, $5 lease ms, $6 order key (outbox-rows.ts ORDER_KEY of the payload), $7 the
 * session webhook's expiry (ms) or null. The order check is the claim's (an index probe on
 * `outbox_message_order_key_idx`); a row still uncommitted in another transaction is not seen, as by the claim.
 */
const ENQUEUE_HELD_SQL = `
WITH h AS (
  SELECT clock_timestamp() AS at,
    NOT EXISTS (SELECT 1 FROM outbox_message e WHERE e.status IN ('PENDING', 'SENDING')
                  AND ${ORDER_KEY("e")} = $6::text)
    AND ($7::float8 IS NULL OR $7::float8 > extract(epoch FROM clock_timestamp()) * 1000 + $5::float8 + 5000) AS held
)
INSERT INTO outbox_message (idempotency_key, kind, api, payload, status, attempts, lease_until, claimed_at)
SELECT $1, $2, $3, $4::jsonb, CASE WHEN h.held THEN 'SENDING' ELSE 'PENDING' END::"OutboxStatus",
  CASE WHEN h.held THEN 1 ELSE 0 END,
  CASE WHEN h.held THEN h.at + $5::float8 * interval '1 millisecond' END,
  CASE WHEN h.held THEN h.at END
FROM h WHERE NOT EXISTS (SELECT 1 FROM outbox_sent_key WHERE idempotency_key = $1)
ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, status = 'SENDING' AS held`;

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
  if (inserted > 0) storedForClaims.add(target);
  return inserted;
}
