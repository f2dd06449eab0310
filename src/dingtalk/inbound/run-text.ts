import type { Logger } from "../../lib/logger.ts";
import { findBadCharInJson, scrubBadChars } from "../../lib/text-rule.ts";
import { type HeldRow, storedRowsForClaims } from "../outbox/enqueue.ts";
import { BAD_CHARACTER_REPLY, DuplicateEvent, userMessageFor } from "./bot-errors.ts";
import type { BotCore } from "./create-bot.ts";
import { claimEvent, textKeys } from "./dedupe-keys.ts";
import type { ReplyTarget, TextContext } from "./inbound-types.ts";
import type { RobotTextEvent } from "./parse-push.ts";

/**
 * What became of a chat message: handled, dropped as a duplicate, failed (the failure and the user's reply are
 * recorded), or unrecorded — nothing about it could be stored (no transaction could start in time, the database
 * is unreachable): the push must not be acked, so that DingTalk delivers it again (persist before ack).
 */
export type TextOutcome = "handled" | "duplicate" | "failed" | "unrecorded";

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
 * Idempotency keys of a message's replies: its msgId (a redelivery repeats it) and the reply's place, or
 * "error" for the one reply of a failed message.
 */
export function replyKey(event: RobotTextEvent, index: number | "error"): string {
  return `reply:${event.msgId}:${index}`;
}

/**
 * Dedupe key + handlers + their replies in one transaction: the replies are outbox rows, so they exist iff the
 * handler's effects committed, and the outbox worker sends them even if this process dies right after the
 * commit. Once committed (or the event is known to be a duplicate or a recorded failure) `committed` is called
 * — the caller acks there — and the reply sender is woken. Nothing here waits for DingTalk.
 */
export async function runText(
  core: BotCore,
  event: RobotTextEvent,
  log: Logger,
  committed: () => void,
): Promise<TextOutcome> {
  let outcome: TextOutcome = "handled";
  /** Replies stored already claimed by the sender, handed to it after the commit. */
  let held: HeldRow[] = [];
  /** The committed transaction's handles: whether rows for the claims were stored through them (then a wake). */
  let through: object[] = [];
  // The text rule (src/lib/text-rule.ts) before anything reaches the database: the person is asked to write
  // again, and the refusal is recorded under scrubbed ids, so even a NUL in the user id cannot stop that.
  const bad = findBadCharInJson({
    text: event.text,
    msgId: event.msgId,
    messageId: event.messageId,
    senderStaffId: event.senderStaffId,
    conversationId: event.conversationId,
    sessionWebhook: event.sessionWebhook,
  });
  if (bad) {
    log.warn({ field: bad.path, char: bad.code }, "chat message with an invalid character refused");
    const scrubbed = scrubEvent(event);
    const recorded = await recordFailure(core, scrubbed, BAD_CHARACTER_REPLY, log);
    if (recorded === "error") return "unrecorded";
    committed();
    if (recorded !== "already") sendReplies(core, recorded);
    return "failed";
  }
  // Whether the transaction started (its callback ran): one that never started stored nothing and is no handler's
  // failure, whatever the reason — every connection busy (Prisma's P2028) or the database refusing connections.
  let started = false;
  try {
    await core.db.transaction(async (tx, sql) => {
      started = true;
      const keys = textKeys(event);
      const userId = event.senderStaffId;
      const claim = await claimEvent(sql, { keys, kind: "text", messageId: event.messageId, userId }, core.probes);
      if (!claim.claimed) throw new DuplicateEvent();
      const target = replyTarget(event);
      let index = 0;
      const mine: HeldRow[] = [];
      const ctx: TextContext = {
        event,
        staff: claim.staff,
        tx,
        sql,
        log,
        probe: (name) => claim.probes.get(name),
        reply: async (body) => {
          const row = await core.replyTransport.enqueue(sql, { key: replyKey(event, index++), target, body });
          if (row) mine.push(row);
        },
      };
      await dispatch(core, ctx);
      held = mine;
      through = [tx, sql];
    }, core.transaction);
  } catch (err) {
    if (err instanceof DuplicateEvent) {
      log.info({ msgId: event.msgId }, "duplicate chat message dropped (already handled)");
      committed();
      return "duplicate";
    }
    if (!started) {
      // Not the handler's failure and nothing was stored: no apology, no ack. The redelivery finds the key free.
      // Were it taken for a failure, the apology's own transaction could succeed a moment later (the database
      // back up in between: seen in inbound-delivery.test.ts) and the report would be acked, answered 抱歉 and lost.
      log.warn(
        { err: String(err) },
        "no database transaction could start for a chat message; not acked, DingTalk redelivers it",
      );
      return "unrecorded";
    }
    outcome = "failed";
    const recorded = await recordFailure(core, event, userMessageFor(err, log), log);
    if (recorded === "error") return "unrecorded";
    ({ held, through } = recorded === "already" ? { held: [], through: [] } : recorded);
  }
  committed();
  sendReplies(core, { held, through });
  return outcome;
}

/**
 * After the commit: the replies stored claimed go to their sender, and it is woken if the transaction stored
 * rows for its claims — replies that must wait their turn, or anything else the handler queued (a card update).
 */
function sendReplies(core: BotCore, stored: { held: readonly HeldRow[]; through: readonly object[] }): void {
  if (stored.held.length > 0) core.replyTransport.handOff?.(stored.held);
  if (storedRowsForClaims(...stored.through)) core.replyTransport.wake?.();
}

/** The event with invalid characters replaced in every field that is stored when a failure is recorded. */
function scrubEvent(event: RobotTextEvent): RobotTextEvent {
  return {
    ...event,
    msgId: scrubBadChars(event.msgId),
    messageId: scrubBadChars(event.messageId),
    senderStaffId: event.senderStaffId === null ? null : scrubBadChars(event.senderStaffId),
    conversationId: scrubBadChars(event.conversationId),
    sessionWebhook: scrubBadChars(event.sessionWebhook),
    text: scrubBadChars(event.text),
  };
}

/** The first intent whose matcher accepts the message handles it; none does → the fallback. */
async function dispatch(core: BotCore, ctx: TextContext): Promise<void> {
  for (const intent of core.intents) {
    if (await intent.match(ctx)) {
      ctx.log.debug({ intent: intent.name }, "chat message matched");
      return intent.handle(ctx);
    }
  }
  ctx.log.debug("chat message matched no intent");
  await core.fallback?.(ctx);
}

/**
 * The handler's effects and replies were rolled back. Records the keys (outside the failed transaction) and the
 * error reply together, so a redelivery of this message does not answer twice and a crash cannot lose the
 * answer. `held`: the reply was stored (claimed already, when it is in the list: to hand off after the commit;
 * `through`: the transaction's handles, see sendReplies);
 * "already": a replica recorded the message meanwhile, with its own answer; "error": nothing could be stored (the
 * caller must not ack).
 */
async function recordFailure(
  core: BotCore,
  event: RobotTextEvent,
  message: string,
  log: Logger,
): Promise<{ held: HeldRow[]; through: object[] } | "already" | "error"> {
  try {
    return await core.db.transaction(async (tx, sql) => {
      const keys = textKeys(event);
      const claim = await claimEvent(sql, { keys, kind: "text", messageId: event.messageId, userId: null });
      if (!claim.claimed) return "already"; // a replica recorded it meanwhile, with its own answer
      const row = await core.replyTransport.enqueue(sql, {
        key: replyKey(event, "error"),
        target: replyTarget(event),
        body: message,
      });
      return { held: row ? [row] : [], through: [tx, sql] };
    }, core.transaction);
  } catch (err) {
    log.error(
      { err, conversationId: event.conversationId },
      "could not record a failed chat message or its reply; not acked, DingTalk redelivers it",
    );
    return "error";
  }
}
