import { AppError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";

/** Chinese apology for unexpected failures; the details are in the log, not in front of the user. */
export const GENERIC_APOLOGY = "抱歉，系统处理出错了，请稍后再试。如果一直这样，请联系管理员。";

/** The reply to a message (or the notice on a card) with a character the text rule refuses (src/lib/text-rule.ts). */
export const BAD_CHARACTER_REPLY = "消息里有无法识别的字符，请重新输入。";

/** Thrown inside a transaction to roll it back when the event turned out to be a duplicate. */
export class DuplicateEvent extends Error {
  override name = "DuplicateEvent";
}

/**
 * The bot's error boundary: an AppError is the user's to read; anything else is ours, logged
 * with its stack, and the user gets an apology. Returns the sentence to show.
 */
export function userMessageFor(err: unknown, log: Logger): string {
  if (err instanceof AppError) {
    log.info({ code: err.code, details: err.details }, `handler refused: ${err.userMessage}`);
    return err.userMessage;
  }
  log.error({ err }, "inbound handler failed; the user got an apology. Fix the handler: the push was acked");
  return GENERIC_APOLOGY;
}
