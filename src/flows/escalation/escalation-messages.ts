import { formatAttainment } from "../../domain/attainment.ts";
import { escalationReason, type PeriodResult, periodResultLabel } from "../../domain/escalation-reason.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { type Metric, metricUnit } from "../../domain/metric.ts";
import type { PaceWarning } from "../../domain/pace-warning.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { cadenceUnit } from "../../domain/period-words.ts";

/*
 * The private messages of an escalation and a pace warning (docs/domain.md "Evaluation and escalation"): plain,
 * respectful Chinese, with the numbers that matter — what was missed, the year so far, what each period now
 * needs.
 */

export interface YearFigures {
  metric: Metric;
  ytdActual: bigint;
  ytdTarget: bigint;
  annualTarget: bigint;
  requiredRunRate: bigint;
}

const amount = (f: YearFigures, v: bigint) => formatAmountShort(v, metricUnit(f.metric));

/** 「年度累计 80.34万元，按进度应完成 105万元（76.5%），差 24.66万元。」 */
export function ytdLine(f: YearFigures): string {
  const head = `年度累计 ${amount(f, f.ytdActual)}，按进度应完成 ${amount(f, f.ytdTarget)}`;
  if (f.ytdTarget === 0n) return `${head}。`;
  const gap = f.ytdTarget - f.ytdActual;
  const pct = formatAttainment(f.ytdActual, f.ytdTarget);
  return gap > 0n ? `${head}（${pct}），差 ${amount(f, gap)}。` : `${head}（${pct}），进度已达标。`;
}

/** 「要完成全年 420万元，此后每周需完成 9.2万元。」 */
export function runRateLine(f: YearFigures, period: string): string {
  const unit = cadenceUnit(parsePeriodKey(period).cadence);
  if (f.requiredRunRate === 0n) return `全年目标 ${amount(f, f.annualTarget)} 已完成。`;
  return `要完成全年 ${amount(f, f.annualTarget)}，此后每${unit}需完成 ${amount(f, f.requiredRunRate)}。`;
}

/** The owner's private message when the escalation opens: the same reason and numbers as the manager's card. */
export function ownerEscalatedText(a: {
  ownerName: string;
  planName: string;
  streak: number;
  misses: PeriodResult[];
  figures: YearFigures;
  period: string;
  managerName: string | null;
}): string {
  const told = a.managerName
    ? `按考核规则，此情况已同步给${a.managerName}，方便一起商量追赶计划；如有客观原因（如客户延期、请假），也可以直接和${a.managerName}沟通。`
    : "如有客观原因（如客户延期、请假），请及时与计划负责人沟通。";
  return [
    `${a.ownerName}，你好。「${a.planName}」${escalationReason(a.streak, a.misses)}。`,
    ytdLine(a.figures) + runRateLine(a.figures, a.period),
    told,
  ].join("\n");
}

/** 风险预警: the first miss of a streak and/or behind the year's pace, with the gap and the run-rate now needed. */
export function paceWarningText(a: {
  planName: string;
  warning: PaceWarning;
  miss: PeriodResult;
  figures: YearFigures;
  period: string;
}): string {
  const lines = [`【风险预警】「${a.planName}」`];
  if (a.warning.causes.includes("FIRST_MISS")) lines.push(`${periodResultLabel(a.miss)}，本期未达标。`);
  lines.push(ytdLine(a.figures) + runRateLine(a.figures, a.period));
  lines.push("如需支持，请及时与经理沟通。");
  return lines.join("\n");
}

/** The owner's message on recovery. */
export function ownerRecoveredText(a: { ownerName: string; planName: string; recovery: PeriodResult }): string {
  return `${a.ownerName}，你好。「${a.planName}」${periodResultLabel(a.recovery)}，已恢复达标，此前的未达标升级已关闭。继续保持！`;
}

/** One message to someone the escalations reached, listing every owner who recovered in this evaluation. */
export function addresseesRecoveredText(planName: string, owners: { name: string; recovery: PeriodResult }[]): string {
  const list = owners.map((o) => `${o.name}（${periodResultLabel(o.recovery)}）`).join("、");
  return `「${planName}」以下同事已恢复达标，相关未达标升级已关闭：${list}。`;
}

/** One message to someone the escalations reached, listing every owner who left the company. */
export function addresseesOwnerLeftText(planName: string, names: string[]): string {
  return `「${planName}」以下同事已离职（人员离职），相关未达标升级已关闭，其目标需要重新分配：${names.join("、")}。`;
}
