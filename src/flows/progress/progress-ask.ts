import type { Intent, TextContext } from "../../dingtalk/bot.ts";
import { formatAttainment } from "../../domain/attainment.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { reportPeriod } from "../../domain/period-open.ts";
import { cadenceUnit, periodRefWord, shortPeriod } from "../../domain/period-words.ts";
import type { Cadence } from "../../generated/prisma/enums.ts";
import type { ProgressChatDeps } from "./progress-chat.ts";
import { progressPromptInputs } from "./progress-prompt.ts";
import { reportablePlans } from "./progress-report.ts";

/** 「我的目标」, 「进度」, 「还差多少」 and the like, once spaces and punctuation are gone. */
const ASK =
  /^(?:我的)?(?:目标|进度|完成情况|业绩)(?:是多少|多少|怎么样|如何)?$|^(?:我)?(?:本周|本月|本季度|本季)?还差多少$/;

export const PROGRESS_ASK_HELP = "· 我的目标 / 进度 / 还差多少：本期目标、已报数字、还差多少和年度累计";

/**
 * Asking instead of waiting for the card: for each published plan the person owns targets in, this period's
 * target, the figure in force and what is still missing, the year to date before this period and the run-rate
 * the rest of the year now needs — the figures the progress card shows, read the same way.
 */
export function progressAskIntent(deps: ProgressChatDeps): Intent {
  return {
    name: "progress.ask",
    match: (ctx) => ctx.event.conversationType === "1" && ASK.test(ctx.event.text.replace(/[\s\p{P}\p{S}]/gu, "")),
    handle: (ctx) => answer(deps, ctx),
  };
}

async function answer(deps: ProgressChatDeps, ctx: TextContext): Promise<void> {
  if (!ctx.staff?.active) return ctx.reply("系统里还没有你的员工信息，请联系管理员导入组织架构。");
  const userId = ctx.staff.userId;
  const plans = await reportablePlans(ctx.tx, userId);
  const at = deps.now();
  const parts: string[] = [];
  for (const plan of plans) {
    const cadence = plan.cadence as Cadence;
    const { period } = reportPeriod({ cadence, timezone: plan.timezone, at, ref: "current", calendar: deps.calendar });
    const [prompt] = await progressPromptInputs(ctx.tx, { planId: plan.id, period, calendar: deps.calendar, userId });
    if (!prompt) continue;
    const p = prompt.input;
    const word = `${periodRefWord(cadence, "current")}（${shortPeriod(period)}）`;
    const reported = prompt.reported?.amount;
    const missing = reported === undefined ? p.periodTarget : p.periodTarget - reported;
    const thisPeriod =
      reported === undefined
        ? `${word}目标 ${formatAmountShort(p.periodTarget)}，还没有填报`
        : `${word}目标 ${formatAmountShort(p.periodTarget)}，已报 ${formatAmountShort(reported)}（${formatAttainment(reported, p.periodTarget)}），` +
          (missing > 0n ? `还差 ${formatAmountShort(missing)}` : "已完成");
    parts.push(
      [
        `${plan.name}：全年目标 ${formatAmountShort(p.annualTarget)}`,
        thisPeriod,
        `年度累计（本期之前）：完成 ${formatAmountShort(p.ytdActual)} / 应完成 ${formatAmountShort(p.ytdTarget)}（${formatAttainment(p.ytdActual, p.ytdTarget)}）`,
        `要完成全年目标，此后每${cadenceUnit(cadence)}需完成 ${formatAmountShort(p.requiredRunRate)}`,
      ].join("\n"),
    );
  }
  if (parts.length === 0) return ctx.reply("你目前没有已发布的目标。");
  return ctx.reply(parts.join("\n\n"));
}
