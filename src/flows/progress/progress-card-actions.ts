import type { AppDeps } from "../../app-deps.ts";
import type { Bot } from "../../dingtalk/inbound/create-bot.ts";
import { PROGRESS_CARD_PREFIX } from "./progress-card-id.ts";

type Deps = Pick<AppDeps, "db" | "config" | "dingtalk">;

/** 提交 / 修改 on progress prompt cards (DESIGN §2 Progress, §4 card actions). */
export function registerProgressCardActions(bot: Bot, _deps: Deps): void {
  bot.onCardAction(PROGRESS_CARD_PREFIX, () => undefined);
}
