import { formatAttainment } from "../domain/attainment.ts";
import { formatAmountShort } from "../domain/format-amount.ts";
import type { Cadence } from "../domain/period-key.ts";
import { periodCount, shortPeriod } from "../domain/period-words.ts";
import { localDate } from "../domain/zoned-time.ts";
import type { dashboardNode } from "./dashboard-node.ts";
import type { dashboardPerson } from "./dashboard-person.ts";

/*
 * Drill-down answers as the page shows them: the same formatting rules as the cards (format-amount, attainment,
 * period-words), applied here so the browser writes no number itself. The raw figures stay alongside (exact
 * strings on the wire) for anyone reading the JSON.
 */

type PlanLike = { unit: string; timezone: string; cadence: string };
const amountOf = (plan: PlanLike) => (v: bigint) => formatAmountShort(v, plan.unit === "COUNT" ? "COUNT" : undefined);

const VERDICT = { MET: "达标", MISSED: "未达标", EXCUSED: "免考核" } as const;
const ESCALATION = { OPEN: "处理中", RESOLVED: "已恢复", CLOSED: "已关闭" } as const;
const REQUEST = {
  PENDING: "审批中",
  APPROVED: "已通过",
  REJECTED: "已驳回",
  STALE: "已失效",
  WITHDRAWN: "已撤回",
} as const;
const LEDGER: Record<string, string> = {
  CREATE: "创建",
  SPLIT: "分解",
  AMOUNT: "金额调整",
  OWNER: "负责人变更",
  PHASING: "分期",
  IMPORT: "导入",
  ARCHIVE: "归档",
};

export function nodeText(n: Awaited<ReturnType<typeof dashboardNode>>, plan: PlanLike) {
  const amount = amountOf(plan);
  return {
    node: n.node,
    children: n.children.map((c) => ({
      ...c,
      ytd: `${amount(c.ytdActual)} / ${amount(c.ytdTarget)}`,
      attainment: formatAttainment(c.ytdActual, c.ytdTarget),
      annual: amount(c.annualTarget),
    })),
  };
}

export function personText(p: Awaited<ReturnType<typeof dashboardPerson>>, plan: PlanLike) {
  const amount = amountOf(plan);
  const day = (d: Date | null | undefined) => (d ? localDate(d, plan.timezone) : "");
  return {
    person: p.person,
    targets: p.targets.map((t) => ({ id: t.id, path: t.path, amount: amount(t.amount), version: t.version })),
    ytd: p.ytd
      ? `完成 ${amount(p.ytd.actual)} / 应完成 ${amount(p.ytd.target)}，达成 ${formatAttainment(p.ytd.actual, p.ytd.target)}`
      : null,
    periods: p.periods
      .slice()
      .reverse()
      .map((r) => ({
        period: shortPeriod(r.period),
        key: r.period,
        target: amount(r.target),
        actual: r.actual === null ? "未填报" : amount(r.actual),
        attainment: r.excused ? VERDICT.EXCUSED : r.actual === null ? "—" : formatAttainment(r.actual, r.target),
        status: r.status ? VERDICT[r.status] : null,
      })),
    escalations: p.escalations.map((e) => ({
      id: e.id,
      status: ESCALATION[e.status],
      text:
        `连续${periodCount(plan.cadence as Cadence, e.streak)}未达标（${e.missedPeriods.map((m) => shortPeriod(m.period)).join("、")}）` +
        (e.addressee ? `，由 ${e.addressee.name} 处理` : ""),
      level: `第${e.currentLevel}级`,
      actions: e.actions.map((a) => `${a.by.name}：${a.action}`),
    })),
    changeRequests: p.changeRequests.map((r) => ({
      id: r.id,
      status: REQUEST[r.status],
      text: `${r.targetPath}：${amount(r.currentAmount)} → ${amount(r.proposedAmount)}（${r.reason}）`,
      date: day(r.createdAt),
    })),
    ledger: p.ledger
      .slice()
      .reverse()
      .map((l) => ({
        date: day(l.at),
        version: `第${l.version}版`,
        text:
          (LEDGER[l.kind] ?? l.kind) +
          (l.oldAmount !== null && l.newAmount !== null && l.oldAmount !== l.newAmount
            ? `：${amount(l.oldAmount)} → ${amount(l.newAmount)}`
            : l.newAmount !== null && l.oldAmount === null
              ? `：${amount(l.newAmount)}`
              : "") +
          (l.reason ? `（${l.reason}）` : ""),
      })),
  };
}
