// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import { formatAttainment } from "../src/domain/attainment.ts";
import { missStreakText } from "../src/domain/escalation-reason.ts";
import { formatAmountShort } from "../src/domain/format-amount.ts";
import { parsePeriodKey } from "../src/domain/period-key.ts";
import { cadenceUnit, shortPeriod } from "../src/domain/period-words.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import type { CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import type { TPeriodResult } from "./card-input.ts";
import { formatPeriodResult, ZPeriodResult, ZPerson, ZText } from "./card-input.ts";
import type { PublicValues } from "./card-params.ts";
import { encodeCardParams } from "./card-params.ts";
import { fitList, oneLine, truncateUtf8 } from "./fit-text.ts";
import { DEFAULT_TIME_ZONE, formatDateTime } from "./format.ts";

const OPEN = "status == 'open' && canAct";

/** Escalation to a manager after consecutive misses (docs/domain.md "Evaluation and escalation"). */
export const escalationCard = defineCard({
  id: "escalation",
  title: "未达标预警",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_ESCALATION",
  heading: "${headline}",
  variables: {
    headline: { type: "string", scope: "public", description: "如「李娜（华东）连续2周未达标」" },
    reasonText: { type: "string", scope: "public", description: "原因，如「连续2周未达标：W14 62%，W15 未填报」" },
    periodsText: { type: "markdown", scope: "public", description: "各未达标周期的目标与完成，每行一期" },
    ytdText: { type: "string", scope: "public", description: "年度累计完成 / 应完成（达成率）" },
    runRateText: { type: "string", scope: "public", description: "完成全年目标所需的节奏" },
    levelText: { type: "string", scope: "public", description: "越级上报说明；直属上级收到时为空" },
    status: {
      type: "string",
      scope: "public",
      description: "状态：open | coaching | adjusting | acknowledged | resolved | raised | closed",
    },
    statusText: { type: "string", scope: "public", description: "状态说明，如「已安排辅导 · 张伟 11月23日 10:32」" },
    canAct: { type: "boolean", scope: "private", description: "仅接收的经理为 true：显示处理按钮" },
    noticeText: { type: "string", scope: "private", description: "仅点击者可见的一行提示：操作为何未生效，或已处理过" },
  },
  layout: [
    { text: "${reasonText}" },
    { text: "${periodsText}" },
    { text: "${ytdText}" },
    { text: "${runRateText}" },
    { text: "${levelText}" },
    { text: "${statusText}" },
    { text: "${noticeText}" },
  ],
  buttons: [
    { id: "coach", label: "安排辅导", actionParams: { action: "coach" }, visibleWhen: OPEN },
    { id: "adjust", label: "发起目标调整", actionParams: { action: "adjust" }, visibleWhen: OPEN },
    { id: "ack", label: "已知悉", actionParams: { action: "ack" }, visibleWhen: OPEN },
  ],
  links: [],
  states: {
    open: { label: "待处理", description: "等待经理处理；2个工作日无处理或再次未达标将继续上报" },
    coaching: { label: "已安排辅导", description: "经理选择安排辅导" },
    adjusting: { label: "调整中", description: "经理发起了目标调整（变更申请）" },
    acknowledged: { label: "已知悉", description: "经理已知悉" },
    resolved: { label: "已恢复", description: "此后一期达标，升级关闭" },
    raised: { label: "已上报", description: "已上报至更上一级，此卡片的接收人不再需要处理" },
    closed: { label: "已关闭", description: "负责人已离职（人员离职），升级关闭，目标待重新分配" },
  },
});

export const ZEscalationCardInput = z.object({
  /** Who receives the card and may act on it. */
  manager: ZPerson,
  owner: ZPerson,
  /** The owner's department, e.g. "华东". */
  ownerUnit: ZText.optional(),
  /** 1 = direct manager; each further level is one step up the manager chain. */
  level: z.number().int().min(1).max(20),
  streak: z.number().int().min(1),
  /** The missed periods of the streak, oldest first (may be only the latest ones). */
  misses: z.array(ZPeriodResult).min(1),
  annualTarget: ZAmountValue,
  ytdActual: ZAmountValue,
  ytdTarget: ZAmountValue,
  requiredRunRate: ZAmountValue,
  /** Why it reached this level (escalation-reason.ts raisedText), shown instead of the generic level line. */
  levelNote: ZText.optional(),
});
export type TEscalationCardInput = z.infer<typeof ZEscalationCardInput>;

export type EscalationAction = "coach" | "adjust" | "ack";

function periodLine(r: TPeriodResult): string {
  const head = `${shortPeriod(r.period)}：目标 ${formatAmountShort(r.target)}`;
  if (r.excused) return `${head}，免考核`;
  if (r.actual === null) return `${head}，未填报`;
  return `${head}，完成 ${formatAmountShort(r.actual)}（${formatAttainment(r.actual, r.target)}）`;
}

function publicValues(e: TEscalationCardInput, status: string, statusText: string) {
  const owner = truncateUtf8(oneLine(e.owner.name), 90);
  const unit = e.ownerUnit ? `（${truncateUtf8(oneLine(e.ownerUnit), 60)}）` : "";
  const first = parsePeriodKey(e.misses[0]!.period).cadence;
  const cadence = cadenceUnit(first);
  const reason = fitList(e.misses.map(formatPeriodResult), { separator: "，", maxBytes: 700 });
  const values: PublicValues<typeof escalationCard.variables> = {
    headline: `${owner}${unit}${missStreakText(e.streak, first)}`,
    reasonText: `${missStreakText(e.streak, first)}：${reason}`,
    periodsText: fitList(e.misses.map(periodLine), { separator: "\n" }),
    ytdText: `年度累计 ${formatAmountShort(e.ytdActual)} / ${formatAmountShort(e.ytdTarget)}（${formatAttainment(e.ytdActual, e.ytdTarget)}）`,
    runRateText: `每${cadence}需完成 ${formatAmountShort(e.requiredRunRate)}，才能达成全年 ${formatAmountShort(e.annualTarget)}`,
    levelText: levelText(e),
    status,
    statusText,
  };
  return values;
}

function levelText(e: TEscalationCardInput): string {
  if (e.levelNote) return `第${e.level}级：${truncateUtf8(oneLine(e.levelNote), 300)}`;
  return e.level > 1 ? `第${e.level}级上报：下级经理未在2个工作日内处理，或再次未达标` : "";
}

function build(e: TEscalationCardInput, status: string, statusText: string, canAct = true, notice = ""): CardParams {
  return encodeCardParams(escalationCard, publicValues(e, status, statusText), {
    [e.manager.userId]: { canAct, noticeText: truncateUtf8(oneLine(notice), 300) },
  });
}

/** The card to the manager when the miss streak reaches the plan's escalateAfter. */
export function buildEscalationCard(input: TEscalationCardInput): CardParams {
  const e = ZEscalationCardInput.parse(input);
  return build(e, "open", "请选择处理方式");
}

const HANDLED: Record<EscalationAction, { status: string; text: string }> = {
  coach: { status: "coaching", text: "已安排辅导" },
  adjust: { status: "adjusting", text: "已发起目标调整" },
  ack: { status: "acknowledged", text: "已知悉" },
};

/** After the manager's choice: "已安排辅导 · 张伟 11月23日 10:32" and the like. */
export function escalationCardHandled(
  input: TEscalationCardInput,
  action: EscalationAction,
  at: Date,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const e = ZEscalationCardInput.parse(input);
  const handled = HANDLED[z.enum(["coach", "adjust", "ack"]).parse(action)];
  const by = truncateUtf8(oneLine(e.manager.name), 90);
  return build(e, handled.status, `${handled.text} · ${by} ${formatDateTime(at, timeZone)}`);
}

/** A later period was not missed: the escalation closes and everyone who was told sees it. */
export function escalationCardResolved(input: TEscalationCardInput, recovery: TPeriodResult): CardParams {
  const e = ZEscalationCardInput.parse(input);
  const r = ZPeriodResult.parse(recovery);
  return build(e, "resolved", `已恢复：${formatPeriodResult(r)}，升级关闭`);
}

/**
 * The escalation went past this card's addressee (a further miss, or 2 workdays without action): the card shows
 * who has it now, and its addressee's notice line says they need do nothing more.
 */
export function escalationCardRaised(input: TEscalationCardInput, statusText: string): CardParams {
  const e = ZEscalationCardInput.parse(input);
  return build(e, "raised", truncateUtf8(oneLine(statusText), 300), false, "已上报至上级，此卡片无需你再处理");
}

/** The owner left the company (人员离职): the escalation closes and the target waits to be reassigned. */
export function escalationCardClosed(input: TEscalationCardInput): CardParams {
  const e = ZEscalationCardInput.parse(input);
  const owner = truncateUtf8(oneLine(e.owner.name), 90);
  return build(e, "closed", `人员离职：${owner}已离职，升级关闭，目标待重新分配`, false);
}

/** 张伟 (华东 manager) hears that 李娜 missed W14 (62%) and did not report W15. */
export const escalationCardFixture: TEscalationCardInput = {
  manager: { userId: "zhangwei10", name: "张伟" },
  owner: { userId: "lina01", name: "李娜" },
  ownerUnit: "华东",
  level: 1,
  streak: 2,
  misses: [
    { period: "2026-W14", target: 70_000n, actual: 43_400n },
    { period: "2026-W15", target: 90_000n, actual: null },
  ],
  annualTarget: 4_200_000n,
  ytdActual: 803_400n,
  ytdTarget: 1_050_000n,
  requiredRunRate: 92_000n,
};
