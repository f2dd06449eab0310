import type { Logger } from "../../lib/logger.ts";
import { DuplicateEvent, userMessageFor } from "./bot-errors.ts";
import type { BotCore } from "./create-bot.ts";
import { cardKey, claimEvent } from "./dedupe-keys.ts";
import type { CardContext, CardUpdate } from "./inbound-types.ts";
import type { CardActionEvent } from "./parse-push.ts";

/**
 * Answers the callback. Returns false when the deadline already passed (an empty answer was sent), in which
 * case the bot sends the update through the `CardUpdater` instead.
 */
export type CardResponder = (update: CardUpdate) => boolean;

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

/**
 * Dedupe key + handler in one transaction, then the answer. A refused or failed click records nothing, so the
 * person can correct the form and click again; only a committed click counts as "already handled".
 */
export async function runCardAction(
  core: BotCore,
  event: CardActionEvent,
  respond: CardResponder,
  log: Logger,
): Promise<void> {
  const route = core.cardRoutes.find((r) => r.match(event.outTrackId));
  if (!route) {
    log.warn({ outTrackId: event.outTrackId }, "card click for a card no handler serves; check the outTrackId prefix");
    await answer(core, event, respond, noticeUpdate("这张卡片已失效，请在最新的卡片上操作"), log);
    return;
  }
  const later: CardUpdate[] = [];
  let update: CardUpdate;
  try {
    update = await core.db.prisma.$transaction(async (tx) => {
      // userIdType 2 means the callback carries a unionId, which the staff table does not hold.
      const userId = event.userIdType === 1 ? event.userId : null;
      const claim = await claimEvent(tx, { keys: [cardKey(event)], kind: "card", messageId: event.messageId, userId });
      if (!claim.claimed) throw new DuplicateEvent();
      const staff = claim.staff;
      const ctx: CardContext = {
        event,
        staff,
        tx,
        log,
        updateCardLater: async (u) => {
          later.push(u);
        },
      };
      return (await route.handler(ctx)) ?? {};
    }, core.transaction);
  } catch (err) {
    later.length = 0; // rolled back: the queued updates describe something that did not happen
    if (err instanceof DuplicateEvent) {
      log.info({ outTrackId: event.outTrackId }, "duplicate card click answered as already handled");
      update = noticeUpdate(ALREADY_HANDLED);
    } else {
      update = noticeUpdate(userMessageFor(err, log));
    }
  }
  await answer(core, event, respond, update, log);
  for (const u of later) await sendUpdate(core, event, u, log);
}

async function answer(core: BotCore, event: CardActionEvent, respond: CardResponder, u: CardUpdate, log: Logger) {
  if (respond(u)) return;
  log.warn({ outTrackId: event.outTrackId }, "card handler missed the callback deadline; updating through the API");
  await sendUpdate(core, event, u, log);
}

async function sendUpdate(core: BotCore, event: CardActionEvent, update: CardUpdate, log: Logger): Promise<void> {
  if (!update.cardData && !update.userPrivateData) return;
  if (!core.cardUpdater) {
    log.error({ outTrackId: event.outTrackId }, "a card update was dropped: createBot got no cardUpdater");
    return;
  }
  try {
    await core.cardUpdater.updateCard({
      outTrackId: event.outTrackId,
      userId: event.userId,
      userIdType: event.userIdType,
      update,
    });
  } catch (err) {
    log.error({ err, outTrackId: event.outTrackId }, "card update could not be sent");
  }
}
