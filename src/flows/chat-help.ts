import type { Intent, TextContext, TextHandler } from "../dingtalk/bot.ts";
import { readChatMessage } from "./read-chat-message.ts";

/**
 * In a group the bot answers only what a flow claims: a help text for every @-mention nobody claimed would
 * crowd the group, so help and 「没看懂」 are for the 1:1 chat with the bot.
 */
const inOneToOne = (ctx: TextContext) => ctx.event.conversationType === "1";

/** 「帮助」, 「怎么填」, 「?」 …: answered with what the bot understands. */
export function helpIntent(help: string): Intent {
  return {
    name: "help",
    match: (ctx) => inOneToOne(ctx) && readChatMessage(ctx.event).kind === "help",
    handle: (ctx) => ctx.reply(help),
  };
}

/** The one answer to a message no intent claims: 「没看懂」 and what the bot does understand. */
export function notUnderstood(help: string): TextHandler {
  return async (ctx) => {
    if (inOneToOne(ctx)) await ctx.reply(`没看懂这条消息。${help}`);
  };
}
