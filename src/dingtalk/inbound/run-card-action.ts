import type { SqlRunner, Tx } from "../../db/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { findBadCharInJson, scrubBadChars } from "../../lib/text-rule.ts";
import { BAD_CHARACTER_REPLY, DuplicateEvent, userMessageFor } from "./bot-errors.ts";
import type { BotCore } from "./create-bot.ts";
import { cardKey, cardPushKey, claimEvent } from "./dedupe-keys.ts";
import type { CardContext, CardHandler, CardUpdate } from "./inbound-types.ts";
import type { CardActionEvent } from "./parse-push.ts";

/** The callback's one answer (start-inbound.ts): the handler's response, or the deadline's empty one. */
export interface CardResponder {
  /** Answers the callback; false when it was already answered (the deadline passed): nothing was sent. */
  respond(update: CardUpdate): boolean;
  /** Whether the callback has been answered already (by the deadline). */
  answered(): boolean;
}

/**
 * The private card variable that shows the clicking user a one-line notice: why the click was refused
 * (AppError.userMessage, the apology) or that it was already handled. Every card template with buttons
 * declares it (scope private) and shows it under the buttons.
 */
export const CARD_NOTICE_VARIABLE = "noticeText";

/** Shown when the same person makes the same choice on the same card again. */
export const ALREADY_HANDLED = "已处理，无需重复操作";

/** A response that only sets the clicking user's notice line and keeps everything else (merge by key). */
export function noticeUpdate(text: string): CardUpdate {
  return {
    userPrivateData: { cardParamMap: { [CARD_NOTICE_VARIABLE]: text } },
    cardUpdateOptions: { updatePrivateDataByKey: true },
  };
}

const isEmpty = (u: CardUpdate) => !u.cardData && !u.userPrivateData;

/** Outbox key of a committed click's update: "answer" (the late callback response) or its `updateCardLater` index. */
const updateKey = (event: CardActionEvent, suffix: string | number) => `card.update:${cardKey(event)}:${suffix}`;

/**
 * Dedupe key + handler in one transaction, then the answer. A refused or failed click records nothing, so the
 * person can correct the form and click again; only a committed click counts as "already handled".
 *
 * Card updates are outbox rows stored in the handler's transaction, in this order: the callback response when
 * the deadline has already passed (it can no longer go in the ack), then the handler's `updateCardLater`
 * updates. Keys: the click's dedupe key (outTrackId + user + action) + "answer" or the update's index.
 */
export async function runCardAction(
  core: BotCore,
  event: CardActionEvent,
  responder: CardResponder,
  log: Logger,
): Promise<void> {
  // The text rule (src/lib/text-rule.ts) for the ids and every param of the click: refused with a notice.
  const bad = findBadCharInJson({
    outTrackId: event.outTrackId,
    userId: event.userId,
    messageId: event.messageId,
    actionIds: event.actionIds,
    params: event.params,
  });
  if (bad) {
    log.warn({ field: bad.path, char: bad.code }, "card click with an invalid character refused");
    const scrubbed = {
      ...event,
      outTrackId: scrubBadChars(event.outTrackId),
      userId: scrubBadChars(event.userId),
      messageId: scrubBadChars(event.messageId),
    };
    await answer(core, scrubbed, responder, noticeUpdate(BAD_CHARACTER_REPLY), log);
    return;
  }
  const route = core.cardRoutes.find((r) => r.match(event.outTrackId));
  if (!route) {
    log.warn({ outTrackId: event.outTrackId }, "card click for a card no handler serves; check the outTrackId prefix");
    await answer(core, event, responder, noticeUpdate("这张卡片已失效，请在最新的卡片上操作"), log);
    return;
  }
  let result: Handled;
  try {
    result = await core.db.transaction(
      (tx, sql) => handleInTransaction(core, { tx, sql }, route.handler, event, responder, log),
      core.transaction,
    );
  } catch (err) {
    if (err instanceof DuplicateEvent) {
      log.info({ outTrackId: event.outTrackId }, "duplicate card click answered as already handled");
      await answer(core, event, responder, noticeUpdate(ALREADY_HANDLED), log);
    } else {
      await answer(core, event, responder, noticeUpdate(userMessageFor(err, log)), log);
    }
    return;
  }
  if (!result.answered) await answer(core, event, responder, result.update, log, updateKey(event, "answer"));
  if (result.queued > 0) core.cardUpdater.wake?.();
}

interface Handled {
  /** The callback response. */
  update: CardUpdate;
  /** The deadline had passed before commit: the response is stored as an update. */
  answered: boolean;
  /** Update rows stored. */
  queued: number;
}

async function handleInTransaction(
  core: BotCore,
  { tx, sql }: { tx: Tx; sql: SqlRunner },
  handler: CardHandler,
  event: CardActionEvent,
  responder: CardResponder,
  log: Logger,
): Promise<Handled> {
  // userIdType 2 means the callback carries a unionId, which the staff table does not hold.
  const userId = event.userIdType === 1 ? event.userId : null;
  // Two keys: the choice (a double tap is one effect) and the push itself. A handler may release the choice's key
  // to accept the same choice again later (a confirmation); the push's key still makes a redelivery a duplicate.
  const keys = [cardKey(event), cardPushKey(event)];
  const claim = await claimEvent(sql, { keys, kind: "card", messageId: event.messageId, userId });
  if (!claim.claimed) throw new DuplicateEvent();
  const later: CardUpdate[] = [];
  const ctx: CardContext = {
    event,
    staff: claim.staff,
    tx,
    sql,
    log,
    updateCardLater: async (u) => {
      later.push(u);
    },
    releaseChoice: async () => {
      await tx.inboundEvent.deleteMany({ where: { key: cardKey(event) } });
    },
  };
  const update = (await handler(ctx)) ?? {};
  // Missed the deadline: the response becomes an update, committed with the effects it describes.
  const answered = responder.answered();
  if (answered) logLate(event, log);
  const rows = [
    ...(answered ? [{ key: updateKey(event, "answer"), u: update }] : []),
    ...later.map((u, i) => ({ key: updateKey(event, i), u })),
  ];
  let queued = 0;
  for (const { key, u } of rows) queued += (await store(core, tx, event, key, u)) ? 1 : 0;
  return { update, answered, queued };
}

function logLate(event: CardActionEvent, log: Logger): void {
  log.warn(
    { outTrackId: event.outTrackId },
    "card handler missed the callback deadline; its answer goes out as a card update (outbox)",
  );
}

/** Stores one update in `tx`; an empty one is not worth a call. */
async function store(core: BotCore, tx: Tx, event: CardActionEvent, key: string, update: CardUpdate) {
  if (isEmpty(update)) return false;
  const { outTrackId, userId, userIdType } = event;
  await core.cardUpdater.enqueue(tx, { key, outTrackId, userId, userIdType, update });
  return true;
}

/**
 * Answers in the ack; when the deadline won the race, stores the answer as an update in a transaction of its
 * own (a crash right before that loses it: the one window left, between the in-transaction deadline check and
 * this answer). `key` defaults to one per push: notices are not effects of a committed click.
 */
async function answer(
  core: BotCore,
  event: CardActionEvent,
  responder: CardResponder,
  u: CardUpdate,
  log: Logger,
  key = `card.notice:${event.messageId}`,
): Promise<void> {
  if (responder.respond(u)) return;
  logLate(event, log);
  try {
    if (await core.db.prisma.$transaction((tx) => store(core, tx, event, key, u))) core.cardUpdater.wake?.();
  } catch (err) {
    log.error(
      { err, outTrackId: event.outTrackId },
      "a late card answer could not be stored; the card keeps its state",
    );
  }
}
