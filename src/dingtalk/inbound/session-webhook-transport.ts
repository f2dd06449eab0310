import { enqueue } from "../outbox/enqueue.ts";
import { batchSendFallback } from "./batch-send-reply.ts";
import type { ReplyBody, ReplyTarget, ReplyTransport } from "./inbound-types.ts";

export interface SessionWebhookTransportOptions {
  /** Called after a commit that stored replies: the outbox worker's `wake`, so they go out now. */
  wake?: () => void;
}

/** The webhook body for a reply (docs/dingtalk.md §2.1); group replies @ the person who wrote. */
export function webhookBody(target: ReplyTarget, body: ReplyBody): Record<string, unknown> {
  const at =
    target.conversationType === "2" && target.userId ? { at: { atUserIds: [target.userId], isAtAll: false } } : {};
  if (typeof body === "string") return { msgtype: "text", text: { content: body }, ...at };
  return { msgtype: "markdown", markdown: { title: body.title, text: body.markdown }, ...at };
}

/**
 * Chat replies through the message's `sessionWebhook` (docs/dingtalk.md §2.1), by way of the outbox: each reply is a
 * `session.reply` row stored in the caller's transaction and sent by the outbox worker. The row carries the
 * webhook's expiry and, for a 1:1 chat, its `oToMessages/batchSend` fallback (docs/dingtalk.md §2.1): a reply that would
 * reach DingTalk after the webhook expired goes through batchSend instead (see `claimDue`). Replies of one
 * chat go out in the order they were stored.
 */
export function createSessionWebhookTransport(opts: SessionWebhookTransportOptions = {}): ReplyTransport {
  return {
    async enqueue(tx, { key, target, body }) {
      const fallback = batchSendFallback(target, body);
      await enqueue(tx, {
        idempotencyKey: key,
        kind: "session.reply",
        payload: {
          url: target.sessionWebhook,
          body: webhookBody(target, body),
          expiresAt: target.expiresAt,
          conversationId: target.conversationId,
          ...(fallback ? { fallback } : {}),
        },
      });
    },
    ...(opts.wake ? { wake: opts.wake } : {}),
  };
}
