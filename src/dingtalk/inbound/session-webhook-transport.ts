import { enqueue, enqueueHeld, KIND_API } from "../outbox/enqueue.ts";
import type { HandOff } from "../outbox/outbox-worker.ts";
import { batchSendFallback } from "./batch-send-reply.ts";
import type { ReplyBody, ReplyTarget, ReplyTransport } from "./inbound-types.ts";

export interface SessionWebhookTransportOptions {
  /** Called after a commit that stored replies: the outbox worker's `wake`, so they go out now. */
  wake?: () => void;
  /**
   * The outbox worker's hand-off (undefined while there is no worker): a reply that may go first is stored
   * already claimed by it and handed to it after the commit, so no claim statement is needed to find it.
   */
  handOff?: () => HandOff | undefined;
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
 * chat go out in the order they were stored. With a worker's hand-off, a reply that may go first (no earlier reply
 * of its chat unsent, its webhook valid for the lease) is stored already claimed and handed to the worker after
 * the commit (see enqueueHeld).
 */
export function createSessionWebhookTransport(opts: SessionWebhookTransportOptions = {}): ReplyTransport {
  return {
    async enqueue(tx, { key, target, body }) {
      const fallback = batchSendFallback(target, body);
      const input = {
        idempotencyKey: key,
        kind: "session.reply" as const,
        payload: {
          url: target.sessionWebhook,
          body: webhookBody(target, body),
          expiresAt: target.expiresAt,
          conversationId: target.conversationId,
          ...(fallback ? { fallback } : {}),
        },
      };
      const leaseMs = opts.handOff?.()?.leaseFor(KIND_API[input.kind]) ?? null;
      if (leaseMs === null) {
        await enqueue(tx, input);
        return null;
      }
      return enqueueHeld(tx, input, leaseMs);
    },
    ...(opts.wake ? { wake: opts.wake } : {}),
    ...(opts.handOff ? { handOff: (rows) => opts.handOff?.()?.send(rows) } : {}),
  };
}
