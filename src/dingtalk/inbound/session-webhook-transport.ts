import type { ReplyBody, ReplyTarget, ReplyTransport } from "./inbound-types.ts";

export interface SessionWebhookTransportOptions {
  /**
   * Used once the session webhook has expired (`/v1.0/robot/oToMessages/batchSend`, DESIGN §4); without it an
   * expired session is an error.
   */
  fallback?: ReplyTransport;
  now?: () => number;
  timeoutMs?: number;
  /** Replies expiring within this are sent through the fallback instead, to not race the expiry. */
  expiryMarginMs?: number;
}

/** The webhook body for a reply (PLATFORM.md §2.1); group replies @ the person who wrote. */
export function webhookBody(target: ReplyTarget, body: ReplyBody): Record<string, unknown> {
  const at =
    target.conversationType === "2" && target.userId ? { at: { atUserIds: [target.userId], isAtAll: false } } : {};
  if (typeof body === "string") return { msgtype: "text", text: { content: body }, ...at };
  return { msgtype: "markdown", markdown: { title: body.title, text: body.markdown }, ...at };
}

/**
 * Replies through the message's `sessionWebhook` (PLATFORM.md §2.1): a JSON POST, no token; success is HTTP 200
 * with errcode 0.
 */
export function createSessionWebhookTransport(opts: SessionWebhookTransportOptions = {}): ReplyTransport {
  const now = opts.now ?? Date.now;
  return {
    async reply(target, body) {
      if (target.expiresAt - (opts.expiryMarginMs ?? 5000) <= now()) {
        if (opts.fallback) return opts.fallback.reply(target, body);
        throw new Error(`sessionWebhook of ${target.conversationId} expired and no fallback transport is set`);
      }
      const res = await fetch(target.sessionWebhook, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(webhookBody(target, body)),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      const answer = (await res.json().catch(() => undefined)) as { errcode?: unknown; errmsg?: unknown } | undefined;
      if (!res.ok || answer?.errcode !== 0) {
        throw new Error(`sessionWebhook answered ${res.status} ${JSON.stringify(answer)}`);
      }
    },
  };
}
