import { validationError } from "../lib/errors.ts";
import { formatAttainment } from "./attainment.ts";
import { ESCALATION_ACTION_WORKDAYS } from "./miss-streak.ts";
import { type Cadence, parsePeriodKey } from "./period-key.ts";
import { periodCount, shortPeriod } from "./period-words.ts";

/*
 * What an escalation says, in the words of docs/domain.md "Evaluation and escalation": the one place the
 * reason line is built, for the manager's card, the owner's private message and the escalation API alike.
 */

/** One evaluated period as the reason names it. */
export interface PeriodResult {
  /** "2026-W14", "2026-04", "2026-Q2". */
  period: string;
  target: bigint;
  /** The figure in force; null when nothing was reported. */
  actual: bigint | null;
  /** Holiday period or leave: neither a miss nor a hit. */
  excused?: boolean;
}

/** "W14 62%", "W15 未填报", "W16 免考核"; "4月 80%", "Q2 未填报". */
export function periodResultLabel(result: PeriodResult): string {
  const label = shortPeriod(result.period);
  if (result.excused) return `${label} 免考核`;
  if (result.actual === null) return `${label} 未填报`;
  return `${label} ${formatAttainment(result.actual, result.target)}`;
}

/** 「连续2周未达标」, 「连续2个月未达标」, 「连续3个季度未达标」. */
export function missStreakText(streak: number, cadence: Cadence): string {
  return `连续${periodCount(cadence, streak)}未达标`;
}

/**
 * The reason line: 「连续2周未达标：W14 62%，W15 未填报」 — the streak in the cadence's words and each missed
 * period, oldest first (the caller passes the misses of the streak; excused periods between them may be left
 * out, they neither count nor break it). The cadence is that of the first period.
 */
export function escalationReason(streak: number, misses: readonly PeriodResult[]): string {
  const first = misses[0];
  if (first === undefined)
    throw validationError("升级原因至少需要一个未达标周期", [{ field: "misses", message: "为空" }]);
  return `${missStreakText(streak, parsePeriodKey(first.period).cadence)}：${misses.map(periodResultLabel).join("，")}`;
}

/** Why an escalation went one level up: its addressee let 2 workdays pass, or the owner missed again. */
export type RaiseCause = { kind: "OVERDUE"; previousName: string } | { kind: "MISSED_AGAIN"; miss: PeriodResult };

/** 「李经理 2个工作日未处理，已上报」 or 「W16 未填报，再次未达标，已上报」: the card's line at a raised level. */
export function raisedText(cause: RaiseCause): string {
  if (cause.kind === "OVERDUE") return `${cause.previousName} ${ESCALATION_ACTION_WORKDAYS}个工作日未处理，已上报`;
  return `${periodResultLabel(cause.miss)}，再次未达标，已上报`;
}
