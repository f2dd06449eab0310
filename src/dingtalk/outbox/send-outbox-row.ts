import { DingTalkApiError } from "../dingtalk-api-error.ts";
import type { BatchSendResult, OpenApiClient, RequestGate } from "../openapi-client.ts";
import type { OutboxPayloads } from "./enqueue.ts";
import type { OutboxRow, TodoCreateRow } from "./outbox-rows.ts";

/** What became of one send. */
export type SendOutcome =
  | { kind: "sent"; result: unknown }
  | { kind: "retry"; error: string }
  | { kind: "dead"; error: string }
  /** Not yet sendable (a to-do update before its create went out): try again in `afterMs`, not an attempt. */
  | { kind: "wait"; error: string; afterMs: number }
  /** Nothing to do, for good (the to-do it changes was never created): done, with the reason logged. */
  | { kind: "skipped"; reason: string };

/** What the sender reads of other rows. */
export interface OutboxLookup {
  /** The `todo.create` row with this key, if there is one. */
  todoCreate(key: string): Promise<TodoCreateRow | undefined>;
  /** Keeps an image row's media_id (and drops its PNG); false when the row is no longer this claim's. */
  rememberMedia(row: OutboxRow, mediaId: string): Promise<boolean>;
}

/**
 * Thrown by a {@link RequestGate} that could not let a request out: its rate-limit slot could not be had, or the
 * claim's lease ran out while waiting for one (`leaseLost`: another replica may own the row now, so it must be
 * left alone). Nothing was sent by that request.
 */
export class NotSent extends Error {
  override name = "NotSent";
  constructor(
    message: string,
    readonly leaseLost: boolean,
  ) {
    super(message);
  }
}

/**
 * Makes the call a row asks for and classifies the answer. A card create answered `param.cardAlreadyExist` is
 * a success: the outTrackId makes creation idempotent on DingTalk's side, so a crash between sending and
 * marking SENT ends in exactly one card.
 */
export async function sendOutboxRow(
  client: OpenApiClient,
  row: OutboxRow,
  gate: RequestGate,
  lookup: OutboxLookup,
): Promise<SendOutcome> {
  if (row.kind === "session.reply") {
    // Held past its webhook (renewed leases let a row wait for slots longer than the claim looked ahead): back to
    // the queue, where the next claim turns it into its batchSend fallback.
    const { expiresAt, fallback } = row.payload as OutboxPayloads["session.reply"];
    if (fallback !== undefined && expiresAt !== undefined && expiresAt <= Date.now() + 5000) {
      return { kind: "wait", error: "sessionWebhook expired while waiting: sent by batchSend instead", afterMs: 0 };
    }
  }
  try {
    if (row.kind === "todo.update") return await updateTodo(client, row, gate, lookup);
    if (row.kind === "robot.image") return { kind: "sent", result: await sendImage(client, row, gate, lookup) };
    return { kind: "sent", result: await callFor(client, row, gate) };
  } catch (err) {
    if (err instanceof NotSent) throw err; // the worker's to handle: not an answer
    if (!(err instanceof DingTalkApiError)) {
      // Not DingTalk's answer (a bug or a malformed payload): retried until maxAttempts, then dead.
      return { kind: "retry", error: err instanceof Error ? err.message : String(err) };
    }
    if (row.kind === "card.createAndDeliver" && err.code === "param.cardAlreadyExist") {
      return { kind: "sent", result: { alreadyExisted: true } };
    }
    const error = `${err.status} ${err.code}: ${err.message}`;
    // An update can overtake its card's create (claimed in the same batch or by another replica): try again later.
    if (row.kind === "card.update" && err.code === "param.cardNotExist") return { kind: "retry", error };
    return err.retryable ? { kind: "retry", error } : { kind: "dead", error };
  }
}

async function callFor(client: OpenApiClient, row: OutboxRow, gate: RequestGate): Promise<unknown> {
  switch (row.kind) {
    case "card.createAndDeliver":
      return client.createAndDeliverCard(row.payload as OutboxPayloads["card.createAndDeliver"], gate);
    case "card.update":
      return client.updateCard(row.payload as OutboxPayloads["card.update"], gate);
    case "robot.batchSend":
      return client.batchSendOto(row.payload as OutboxPayloads["robot.batchSend"], gate);
    case "session.reply": {
      const { url, body, expiresAt } = row.payload as OutboxPayloads["session.reply"];
      // claimDue turned every expired reply that has a fallback into a batchSend; this one has none (a group).
      if (expiresAt !== undefined && expiresAt <= Date.now()) {
        const message = "sessionWebhook expired before the reply could be sent; group replies have no fallback";
        throw new DingTalkApiError(0, "session.expired", message, false);
      }
      return client.replyBySessionWebhook(url, body, gate);
    }
    case "todo.create": {
      const { userId, body } = row.payload as OutboxPayloads["todo.create"];
      const unionId = await client.unionIdOf(userId);
      // A retry may follow a create that reached DingTalk but whose answer was lost (a timeout, a crash before
      // SENT was recorded): that to-do is the one to keep, rather than a second in the person's list.
      if (row.attempts > 1 && body.sourceId) {
        const earlier = await client.findTodoBySource(unionId, body.sourceId, gate);
        if (earlier) return earlier;
      }
      return client.createTodo(unionId, { ...body, executorIds: [unionId] }, gate);
    }
    default:
      throw new DingTalkApiError(0, "outbox.unknownKind", `unknown outbox kind ${row.kind}`, false);
  }
}

/**
 * Uploads the PNG (unless an earlier attempt did: its media_id is in the payload), records the media_id, then
 * sends it. The upload is not idempotent at DingTalk, so it is remembered before the send is tried: a send that
 * fails is retried with the same image, not a second upload.
 */
async function sendImage(
  client: OpenApiClient,
  row: OutboxRow,
  gate: RequestGate,
  lookup: OutboxLookup,
): Promise<{ mediaId: string } & BatchSendResult> {
  const payload = row.payload as OutboxPayloads["robot.image"];
  let mediaId = payload.mediaId;
  if (mediaId === undefined) {
    if (payload.png === undefined)
      throw new DingTalkApiError(0, "image.missing", "image row has neither png nor mediaId", false);
    const uploaded = await client.uploadImage(Buffer.from(payload.png, "base64"), payload.fileName, gate);
    mediaId = uploaded.media_id;
    if (!(await lookup.rememberMedia(row, mediaId))) {
      throw new NotSent("the claim's lease ran out during the upload; the row is another sender's now", true);
    }
  }
  const sent = await client.batchSendOto(
    { userIds: [payload.userId], msgKey: "sampleImageMsg", msgParam: { photoURL: mediaId } },
    gate,
  );
  return { mediaId, ...sent };
}

/**
 * A to-do update needs the task id its create got back. The claim does not order the two (they share no
 * order key), so an update that comes first waits for its create, however long that takes; one whose create
 * was never sent, and never will be, has nothing to change.
 */
async function updateTodo(
  client: OpenApiClient,
  row: OutboxRow,
  gate: RequestGate,
  lookup: OutboxLookup,
): Promise<SendOutcome> {
  const { createKey, done } = row.payload as OutboxPayloads["todo.update"];
  const create = await lookup.todoCreate(createKey);
  if (!create) return { kind: "skipped", reason: `no to-do was queued under ${createKey}` };
  if (create.status === "DEAD") return { kind: "skipped", reason: `the to-do ${createKey} could not be created` };
  if (create.status !== "SENT") {
    return { kind: "wait", error: `the to-do ${createKey} is not created yet`, afterMs: create.dueInMs };
  }
  if (!create.taskId) return { kind: "skipped", reason: `the to-do ${createKey} was created without a task id` };
  const unionId = await client.unionIdOf(create.userId);
  return { kind: "sent", result: await client.updateTodo(unionId, create.taskId, { done }, gate) };
}
