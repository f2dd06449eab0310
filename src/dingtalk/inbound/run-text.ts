import type { Logger } from "../../lib/logger.ts";
import { DuplicateEvent, userMessageFor } from "./bot-errors.ts";
import type { BotCore } from "./create-bot.ts";
import { claimEvent, textKeys } from "./dedupe-keys.ts";
import type { ReplyBody, ReplyTarget, TextContext } from "./inbound-types.ts";
import type { RobotTextEvent } from "./parse-push.ts";

/** What became of a chat message: handled, dropped as a duplicate, or failed (the user got a reply). */
export type TextOutcome = "handled" | "duplicate" | "failed";

function replyTarget(event: RobotTextEvent): ReplyTarget {
  return {
    sessionWebhook: event.sessionWebhook,
    expiresAt: event.sessionWebhookExpiredTime,
    conversationId: event.conversationId,
    conversationType: event.conversationType,
    userId: event.senderStaffId,
  };
}

/**
 * Dedupe key + handlers in one transaction. Once it has committed (or the event is known to be a duplicate or
 * a recorded failure) `committed` is called — the caller acks there — and only then are the replies sent, so
 * a rolled-back handler never told the user something that did not happen, and a slow chat endpoint never
 * delays the ack into a redelivery.
 */
export async function runText(
  core: BotCore,
  event: RobotTextEvent,
  log: Logger,
  committed: () => void,
): Promise<TextOutcome> {
  const replies: ReplyBody[] = [];
  let outcome: TextOutcome = "handled";
  try {
    await core.db.prisma.$transaction(async (tx) => {
      const keys = textKeys(event);
      const userId = event.senderStaffId;
      const claim = await claimEvent(tx, { keys, kind: "text", messageId: event.messageId, userId });
      if (!claim.claimed) throw new DuplicateEvent();
      const ctx: TextContext = {
        event,
        staff: claim.staff,
        tx,
        log,
        reply: async (body) => {
          replies.push(body);
        },
      };
      for (const handler of core.textHandlers) await handler(ctx);
    }, core.transaction);
  } catch (err) {
    if (err instanceof DuplicateEvent) {
      log.info({ msgId: event.msgId }, "duplicate chat message dropped (already handled)");
      committed();
      return "duplicate";
    }
    outcome = "failed";
    replies.length = 0;
    const message = userMessageFor(err, log);
    if (await recordFailure(core, event, log)) replies.push(message);
  }
  committed();
  await sendReplies(core, event, replies, log);
  return outcome;
}

/**
 * The handler's effects were rolled back. The keys are still recorded (outside the failed transaction), so a
 * redelivery of this message does not send the apology twice: returns whether this is the first time.
 */
async function recordFailure(core: BotCore, event: RobotTextEvent, log: Logger): Promise<boolean> {
  try {
    const keys = textKeys(event);
    const claim = await core.db.prisma.$transaction((tx) =>
      claimEvent(tx, { keys, kind: "text", messageId: event.messageId, userId: null }),
    );
    return claim.claimed;
  } catch (err) {
    log.warn({ err }, "could not record a failed chat message; a redelivery would reply again");
    return true;
  }
}

async function sendReplies(core: BotCore, event: RobotTextEvent, replies: ReplyBody[], log: Logger): Promise<void> {
  const target = replyTarget(event);
  for (const body of replies) {
    try {
      await core.replyTransport.reply(target, body);
    } catch (err) {
      // The effect is committed; a lost reply is logged, not retried here (the outbox will own retries).
      log.error({ err, conversationId: event.conversationId }, "chat reply could not be sent");
    }
  }
}
