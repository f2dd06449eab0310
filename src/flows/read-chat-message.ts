import type { TextContext } from "../dingtalk/bot.ts";
import { type ParsedMessage, parseProgressMessage } from "../domain/parse-progress.ts";

const read = new WeakMap<TextContext["event"], ParsedMessage>();

/**
 * What a chat message says, read once per message: several intents' matchers ask (is it help? a report? a
 * correction?) and the one that takes it reads the figures, so the parser runs once on the path of every
 * chat message.
 */
export function readChatMessage(event: TextContext["event"]): ParsedMessage {
  let parsed = read.get(event);
  if (!parsed) {
    parsed = parseProgressMessage(event.text);
    read.set(event, parsed);
  }
  return parsed;
}
