import type { CardParams } from "../../cards/card-definition.ts";
import type { CardId } from "../../cards/index.ts";
import type { Config } from "../config.ts";
import { rawQuery, type SqlRunner, type Tx } from "../db/database.ts";
import { AppError } from "../lib/errors.ts";
import { cardParamsUpdate, createAndDeliverBody } from "./card-delivery-body.ts";
import { cardTemplateId } from "./card-template-id.ts";
import { cardUpdateBody } from "./inbound/api-card-updater.ts";
import { BATCH_SEND_MAX_USERS, type BatchSendInput } from "./openapi-client.ts";
import { enqueue, enqueueMany } from "./outbox/enqueue.ts";
import { enqueueImageMessage } from "./outbox/enqueue-image.ts";

/**
 * The one way flows send to DingTalk (docs/architecture.md "The outbound port"): every send is an outbox row
 * stored in the caller's transaction, so it goes out iff the business change commits, exactly once per `key`,
 * and a crash after the commit cannot lose it. Flows name a card and its data, a person and a key; the request
 * bodies, template ids, robot code and batch limits stay in src/dingtalk/. Each send returns false when its key
 * was queued before (nothing new was queued).
 */
export interface Outbound {
  /** A card in `to`'s 1:1 chat with the bot; `key` is its outTrackId, which clicks on it come back with. */
  sendCard(tx: Tx, a: { card: CardId; to: string; key: string; params: CardParams }): Promise<boolean>;
  /** Many sendCard at once (one statement, for thousands); returns how many keys were new. */
  sendCards(tx: Tx, cards: readonly { card: CardId; to: string; key: string; params: CardParams }[]): Promise<number>;
  /** New data for a card sent before (`card` is its key); `key` makes this update exactly-once. */
  updateCard(tx: Tx, a: { card: string; to: string; key: string; params: CardParams }): Promise<boolean>;
  /** Many updateCard at once (one statement); returns how many keys were new. */
  updateCards(
    tx: Tx,
    updates: readonly { card: string; to: string; key: string; params: CardParams }[],
  ): Promise<number>;
  /** One plain text to up to 20 people's 1:1 chats. */
  sendText(tx: Tx, a: { to: string[]; key: string; text: string }): Promise<boolean>;
  /** Many sendText at once (one statement, for thousands); returns how many keys were new. */
  sendTexts(tx: Tx, texts: readonly { to: string[]; key: string; text: string }[]): Promise<number>;
  /** Markdown (title shown in the chat list) to up to 20 people's 1:1 chats. */
  sendMarkdown(tx: Tx, a: { to: string[]; key: string; title: string; text: string }): Promise<boolean>;
  /** An image (a public URL) to up to 20 people's 1:1 chats. */
  sendImage(tx: Tx, a: { to: string[]; key: string; url: string }): Promise<boolean>;
  /**
   * A PNG (e.g. the digest's chart) to one person's 1:1 chat: uploaded to DingTalk when the row goes out, then
   * sent as an image message. Throws AppError VALIDATION (nothing queued) for a non-PNG or one over 20 MB.
   */
  sendPng(tx: Tx, a: { to: string; key: string; png: Uint8Array }): Promise<boolean>;
  /**
   * One text to any number of people, in sends of at most 20 keyed `<keyPrefix><n>`. People already sent to
   * under `keyPrefix` are left out, so a repeated run (even after a partial one) reaches nobody twice. Call it
   * under the caller's exactly-once claim (a job's period), so two runs never interleave.
   */
  broadcastText(
    tx: Tx,
    a: { to: string[]; keyPrefix: string; text: string },
  ): Promise<{ queued: number; recipients: number }>;
  /**
   * A task in `to`'s DingTalk 待办 list (docs/dingtalk.md §7), e.g. an approval step waiting for them, so it is
   * not lost in a chat scroll. `url` is the page the to-do opens (absolute http(s); default PUBLIC_URL, the
   * service's root); DingTalk requires one, so with neither nothing is queued. Also nothing (false) when
   * to-dos are off (DINGTALK_TODO=off). The person's unionId is looked up in the directory when it is sent.
   */
  createTodo(
    tx: Tx,
    a: { to: string; key: string; subject: string; description?: string; url?: string },
  ): Promise<boolean>;
  /**
   * Marks the to-do created under `key` done, exactly once per `doneKey`. Safe to call right after createTodo
   * (it waits for the create to go out) and when no to-do was created (it then does nothing when sent).
   * False when `doneKey` was queued before, or to-dos are off and none was created under `key`.
   */
  finishTodo(tx: Tx, a: { key: string; doneKey: string }): Promise<boolean>;
  /**
   * Throws (AppError CONFLICT, saying what to configure) when there is no DingTalk app to send as: callers
   * about to send check first, so a job without an app fails (and is retried) even when it has nothing to send.
   */
  assertConnected(): void;
  /** Whether a send with this key was queued (a card: whether it exists to be updated). */
  wasSent(on: Tx | SqlRunner, key: string): Promise<boolean>;
  /** Which of `keys` were queued before: wasSent for thousands of keys in one query. */
  sentKeys(tx: Tx, keys: readonly string[]): Promise<Set<string>>;
}

/**
 * SQL for {@link Outbound.wasSent} of the key in `param` (e.g. "$1"), for a statement that asks it along with
 * its own work. A sent row the retention job deleted left its key behind in outbox_sent_key.
 */
export function wasSentSql(param: string): string {
  return `(EXISTS (SELECT 1 FROM outbox_message WHERE idempotency_key = ${param})
           OR EXISTS (SELECT 1 FROM outbox_sent_key WHERE idempotency_key = ${param}))`;
}

/** The DingTalk app the bot sends as; null without credentials and outside sandbox mode. */
export interface OutboundApp {
  config: Pick<Config, "sandbox" | "cardTemplates" | "publicUrl"> & { dingtalk: Pick<Config["dingtalk"], "todo"> };
  dingtalk: { robotCode: string } | null;
}

/** Sends need an app: without one they are refused with what to configure (a job run fails and is retried). */
function robotCode(app: OutboundApp): string {
  if (!app.dingtalk) {
    throw new AppError("CONFLICT", "未连接钉钉：请配置 DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET，或以沙盒模式启动");
  }
  return app.dingtalk.robotCode;
}

export function createOutbound(app: OutboundApp): Outbound {
  const batchSend = (tx: Tx, key: string, input: BatchSendInput) => {
    if (input.userIds.length === 0 || input.userIds.length > BATCH_SEND_MAX_USERS) {
      throw new Error(`a chat send goes to 1–${BATCH_SEND_MAX_USERS} people, got ${input.userIds.length}`);
    }
    robotCode(app);
    return enqueue(tx, { idempotencyKey: key, kind: "robot.batchSend", payload: input });
  };
  const cardMessage = (a: { card: CardId; to: string; key: string; params: CardParams }) => ({
    idempotencyKey: a.key,
    kind: "card.createAndDeliver" as const,
    payload: createAndDeliverBody({
      templateId: cardTemplateId(app.config, a.card),
      outTrackId: a.key,
      card: a.params,
      userId: a.to,
      robotCode: robotCode(app),
    }),
  });
  const updateMessage = (a: { card: string; to: string; key: string; params: CardParams }) => ({
    idempotencyKey: a.key,
    kind: "card.update" as const,
    payload: cardUpdateBody({
      outTrackId: a.card,
      userId: a.to,
      userIdType: 1,
      update: cardParamsUpdate(a.params, a.to),
    }),
  });
  const port: Outbound = {
    sendCard: (tx, a) => enqueue(tx, cardMessage(a)),
    sendCards: (tx, cards) => (cards.length === 0 ? Promise.resolve(0) : enqueueMany(tx, cards.map(cardMessage))),
    updateCard: (tx, a) => enqueue(tx, updateMessage(a)),
    updateCards: (tx, updates) =>
      updates.length === 0 ? Promise.resolve(0) : enqueueMany(tx, updates.map(updateMessage)),
    sendText: (tx, a) => batchSend(tx, a.key, { userIds: a.to, msgKey: "sampleText", msgParam: { content: a.text } }),
    sendTexts(tx, texts) {
      if (texts.length === 0) return Promise.resolve(0);
      robotCode(app);
      for (const t of texts) {
        if (t.to.length === 0 || t.to.length > BATCH_SEND_MAX_USERS) {
          throw new Error(`a chat send goes to 1–${BATCH_SEND_MAX_USERS} people, got ${t.to.length}`);
        }
      }
      return enqueueMany(
        tx,
        texts.map((t) => ({
          idempotencyKey: t.key,
          kind: "robot.batchSend" as const,
          payload: { userIds: t.to, msgKey: "sampleText", msgParam: { content: t.text } },
        })),
      );
    },
    sendMarkdown: (tx, a) =>
      batchSend(tx, a.key, { userIds: a.to, msgKey: "sampleMarkdown", msgParam: { title: a.title, text: a.text } }),
    sendImage: (tx, a) =>
      batchSend(tx, a.key, { userIds: a.to, msgKey: "sampleImageMsg", msgParam: { photoURL: a.url } }),
    sendPng(tx, a) {
      robotCode(app);
      return enqueueImageMessage(tx, { userId: a.to, png: a.png, idempotencyKey: a.key });
    },
    async broadcastText(tx, a) {
      // One row per earlier send under this prefix: who it reached, and how many there are (the next index).
      const earlier = await tx.$queryRawUnsafe<{ user_ids: string[] }[]>(
        `SELECT payload->'userIds' AS user_ids FROM outbox_message WHERE starts_with(idempotency_key, $1)
         UNION ALL SELECT memo->'userIds' FROM outbox_sent_key WHERE starts_with(idempotency_key, $1)`,
        a.keyPrefix,
      );
      const done = new Set(earlier.flatMap((e) => e.user_ids));
      const todo = [...new Set(a.to)].filter((u) => !done.has(u)).sort();
      let index = earlier.length;
      let queued = 0;
      for (let i = 0; i < todo.length; i += BATCH_SEND_MAX_USERS) {
        const to = todo.slice(i, i + BATCH_SEND_MAX_USERS);
        if (await port.sendText(tx, { to, key: `${a.keyPrefix}${index++}`, text: a.text })) queued++;
      }
      return { queued, recipients: todo.length };
    },
    createTodo(tx, a) {
      const url = a.url ?? app.config.publicUrl;
      if (!app.config.dingtalk.todo || url === undefined) return Promise.resolve(false);
      if (!/^https?:\/\/./.test(url)) throw new Error(`a to-do's url must be an absolute http(s) URL, got ${url}`);
      robotCode(app);
      const body = {
        subject: a.subject,
        ...(a.description === undefined ? {} : { description: a.description }),
        detailUrl: { appUrl: url, pcUrl: url },
        // Lets a person's to-dos be found by our key (GET …/tasks/sources/{sourceId}).
        sourceId: a.key,
      };
      return enqueue(tx, { idempotencyKey: a.key, kind: "todo.create", payload: { userId: a.to, body } });
    },
    async finishTodo(tx, a) {
      // Turned off after some were created: those are still closed, or they would stay open in 待办 forever.
      if (!app.config.dingtalk.todo && !(await port.wasSent(tx, a.key))) return false;
      robotCode(app);
      return enqueue(tx, { idempotencyKey: a.doneKey, kind: "todo.update", payload: { createKey: a.key, done: true } });
    },
    assertConnected: () => void robotCode(app),
    async wasSent(on, key) {
      const [row] = await rawQuery<{ sent: boolean }>(on, `SELECT ${wasSentSql("$1")} AS sent`, [key]);
      return row?.sent === true;
    },
    async sentKeys(tx, keys) {
      if (keys.length === 0) return new Set();
      const rows = await tx.$queryRawUnsafe<{ k: string }[]>(
        `SELECT idempotency_key AS k FROM outbox_message WHERE idempotency_key = ANY($1::text[])
         UNION ALL SELECT idempotency_key FROM outbox_sent_key WHERE idempotency_key = ANY($1::text[])`,
        [...keys],
      );
      return new Set(rows.map((r) => r.k));
    },
  };
  return port;
}
