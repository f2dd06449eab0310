import { formatAttainment } from "./attainment.ts";
import type { DigestException, DigestExceptionKind } from "./digest-types.ts";
import { missStreakText } from "./escalation-reason.ts";
import { firstFew } from "./first-few.ts";
import { formatAmountShort } from "./format-amount.ts";
import type { AmountUnit } from "./metric.ts";
import type { Cadence } from "./period-key.ts";
import { shortPeriod } from "./period-words.ts";

/*
 * The digest's exceptions, first thing a director reads (issue #14): each a sentence, in this order — open
 * escalations with their streaks, this period's misses, non-reporters, unconfirmed targets, approvals left over
 * a workday, targets whose owner left. A person is named once: an escalated owner's miss or missing report is
 * part of the escalation's line, and a miss for want of a report is listed as a non-report.
 */

export const EXCEPTION_ORDER: DigestExceptionKind[] = [
  "ESCALATION",
  "MISS",
  "NOT_REPORTED",
  "UNCONFIRMED",
  "APPROVAL_OVERDUE",
  "NEEDS_OWNER",
];

/** Items listed per kind; the counts keep the full numbers (「等共 N 人」 is the reader's to say). */
export const EXCEPTIONS_PER_KIND = 20;

/** What the loader reads for the exceptions, already narrowed to the viewer's scope. */
export interface DigestExceptionInputs {
  escalations: { userId: string; name: string; streak: number }[];
  /** This period's MISSED evaluations. */
  misses: { userId: string; name: string; target: bigint; actual: bigint | null }[];
  /** Owners whose evaluation of this period was EXCUSED (leave, holiday, published mid-period): not chased. */
  excused: ReadonlySet<string>;
  unconfirmed: { targetId: string; userId: string; name: string; path: string; version: number }[];
  approvals: {
    requestId: string;
    targetId: string;
    approverUserId: string;
    approverName: string;
    ownerName: string | null;
    path: string;
    workdays: number;
  }[];
  needsOwner: { targetId: string; path: string; ownerUserId: string | null; ownerName: string | null }[];
}

/** localeCompare(…, "zh-CN") is this collator's compare, made anew on each call: one made once sorts thousands of names fast. */
const zh = new Intl.Collator("zh-CN");

type Item = DigestException & { noReport?: boolean };

export function digestExceptions(a: {
  cadence: Cadence;
  unit: string;
  period: string;
  inputs: DigestExceptionInputs;
  notReported: { userId: string; name: string }[];
}): { items: Item[]; counts: Record<DigestExceptionKind, number> } {
  const unit = (a.unit === "COUNT" ? "COUNT" : "CNY") as AmountUnit;
  const label = shortPeriod(a.period);
  const { inputs } = a;
  const escalated = new Set(inputs.escalations.map((e) => e.userId));
  const silent = new Set(a.notReported.map((p) => p.userId));
  const byName = <T extends { name: string }>(x: T, y: T) => zh.compare(x.name, y.name);

  // Per kind: everyone counted, and only the first EXCEPTIONS_PER_KIND in the list's order picked and written out
  // (a whole plan can have thousands of misses and non-reporters; the digest names twenty of each).
  const first = <T>(items: T[], order: (x: T, y: T) => number) => ({
    count: items.length,
    few: firstFew(items, order, EXCEPTIONS_PER_KIND),
  });
  const picked = {
    ESCALATION: first(inputs.escalations, (x, y) => y.streak - x.streak || byName(x, y)),
    MISS: first(
      inputs.misses.filter((m) => !escalated.has(m.userId) && !silent.has(m.userId)),
      (x, y) => ratio(x) - ratio(y) || byName(x, y),
    ),
    NOT_REPORTED: first(
      a.notReported.filter((p) => !escalated.has(p.userId) && !inputs.excused.has(p.userId)),
      byName,
    ),
    UNCONFIRMED: first(inputs.unconfirmed, (x, y) => byName(x, y) || zh.compare(x.path, y.path)),
    APPROVAL_OVERDUE: first(
      inputs.approvals,
      (x, y) => y.workdays - x.workdays || x.requestId.localeCompare(y.requestId),
    ),
    NEEDS_OWNER: first(inputs.needsOwner, (x, y) => zh.compare(x.path, y.path)),
  };
  const lists: Record<DigestExceptionKind, Item[]> = {
    ESCALATION: picked.ESCALATION.few.map((e) => ({
      kind: "ESCALATION",
      userId: e.userId,
      name: e.name,
      streak: e.streak,
      text: `${e.name} ${missStreakText(e.streak, a.cadence)}`,
    })),
    MISS: picked.MISS.few.map((m) => ({
      kind: "MISS",
      userId: m.userId,
      name: m.name,
      ...(m.actual === null ? { noReport: true } : {}),
      text:
        m.actual === null
          ? `${m.name} ${label} 未填报，未达标`
          : `${m.name} ${label} 未达标：完成 ${formatAmountShort(m.actual, unit)} / 目标 ${formatAmountShort(m.target, unit)}（${formatAttainment(m.actual, m.target)}）`,
    })),
    NOT_REPORTED: picked.NOT_REPORTED.few.map((p) => ({
      kind: "NOT_REPORTED",
      userId: p.userId,
      name: p.name,
      text: `${p.name} ${label} 未填报`,
    })),
    UNCONFIRMED: picked.UNCONFIRMED.few.map((u) => ({
      kind: "UNCONFIRMED",
      userId: u.userId,
      name: u.name,
      targetId: u.targetId,
      path: u.path,
      text: `${u.name} 未确认目标（${u.path}，第${u.version}版）`,
    })),
    APPROVAL_OVERDUE: picked.APPROVAL_OVERDUE.few.map((r) => ({
      kind: "APPROVAL_OVERDUE",
      userId: r.approverUserId,
      name: r.approverName,
      targetId: r.targetId,
      path: r.path,
      requestId: r.requestId,
      text: `${r.approverName} 待审批${r.ownerName ? ` ${r.ownerName} 的` : ""}目标调整已 ${r.workdays} 个工作日（${r.path}）`,
    })),
    NEEDS_OWNER: picked.NEEDS_OWNER.few.map((t) => ({
      kind: "NEEDS_OWNER",
      ...(t.ownerUserId ? { userId: t.ownerUserId } : {}),
      ...(t.ownerName ? { name: t.ownerName } : {}),
      targetId: t.targetId,
      path: t.path,
      text: t.ownerName ? `${t.path}：负责人 ${t.ownerName} 已离职，需要重新指派` : `${t.path}：没有负责人，需要指派`,
    })),
  };
  const counts = Object.fromEntries(EXCEPTION_ORDER.map((k) => [k, picked[k].count])) as Record<
    DigestExceptionKind,
    number
  >;
  return { items: EXCEPTION_ORDER.flatMap((k) => lists[k]), counts };
}

/** A miss's attainment for ordering, the worst first; no report sorts before any figure. */
function ratio(m: { target: bigint; actual: bigint | null }): number {
  if (m.actual === null) return -1;
  return m.target > 0n ? Number((m.actual * 10_000n) / m.target) / 10_000 : 0;
}
