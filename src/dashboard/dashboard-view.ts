import { formatAttainment } from "../domain/attainment.ts";
import type { Digest, DigestExceptionKind, DigestFigures, DigestRank } from "../domain/digest-types.ts";
import { formatAmountShort } from "../domain/format-amount.ts";
import type { Cadence } from "../domain/period-key.ts";
import { cadenceUnit, formatPeriod, shortPeriod } from "../domain/period-words.ts";

/*
 * The digest as the page shows it: every amount, share and period already written the way the cards and the
 * digest message write them (format-amount, attainment, period-words), so the browser only places text and
 * never formats a number itself.
 */

const KIND_TEXT: Record<DigestExceptionKind, string> = {
  ESCALATION: "连续未达标",
  MISS: "未达标",
  NOT_REPORTED: "未填报",
  UNCONFIRMED: "目标未确认",
  APPROVAL_OVERDUE: "审批超时",
  NEEDS_OWNER: "需重新指定负责人",
};

/** Points of change in attainment, signed: "+3.2个点", "-1个点"; null when there is nothing to compare. */
export function pointsText(points: number | null): string | null {
  if (points === null || !Number.isFinite(points)) return null;
  const rounded = Math.round(points * 10) / 10;
  return `${rounded > 0 ? "+" : ""}${rounded}个点`;
}

export function dashboardView(d: Digest) {
  const countUnit = d.plan.unit === "COUNT" ? "COUNT" : undefined;
  const amount = (v: bigint) => formatAmountShort(v, countUnit);
  const unit = cadenceUnit(d.plan.cadence as Cadence);
  const figures = (f: DigestFigures) => ({
    ytdActual: amount(f.ytdActual),
    ytdTarget: amount(f.ytdTarget),
    ytdAttainment: formatAttainment(f.ytdActual, f.ytdTarget),
    periodActual: amount(f.periodActual),
    periodTarget: amount(f.periodTarget),
    periodAttainment: formatAttainment(f.periodActual, f.periodTarget),
    annualTarget: amount(f.annualTarget),
    projectedYearEnd: amount(f.projectedYearEnd),
    projectedAttainment: formatAttainment(f.projectedYearEnd, f.annualTarget),
    requiredRunRate: amount(f.requiredRunRate),
  });
  const rank = (r: DigestRank) => ({
    userId: r.userId ?? null,
    key: r.key,
    label: r.label,
    attainment: formatAttainment(r.ytdActual, r.ytdTarget),
    figures: `${amount(r.ytdActual)} / ${amount(r.ytdTarget)}`,
  });
  const t = d.totals;
  const share = d.freshness.share;
  return {
    title: `${d.plan.name} · ${shortPeriod(d.period)}`,
    period: formatPeriod(d.period),
    unit,
    scope: d.viewer.scope === "SUBTREE" && d.viewer.name ? `${d.viewer.name}的团队` : "全公司",
    totals: { ...figures(t), change: pointsText(deltaPoints(t.ytdAttainment, t.previousYtdAttainment)) },
    runRateDone: t.requiredRunRate <= 0n,
    exceptions: d.exceptions.map((e) => ({
      kind: e.kind,
      kindText: KIND_TEXT[e.kind],
      text: e.text,
      userId: e.userId ?? null,
      path: e.path ?? null,
    })),
    /** How many of each kind (the digest's counts when it capped its list), in the list's order. */
    exceptionKinds: exceptionKinds(d),
    breakdowns: d.breakdowns.map((b) => ({
      dimension: b.dimension,
      title: b.title,
      rows: b.rows.map((r) => ({
        key: r.key,
        label: r.label,
        ownerName: r.ownerName ?? null,
        ...figures(r.figures),
        change: pointsText(r.deltaPoints),
      })),
    })),
    top: { people: d.top.people.map(rank), regions: d.top.regions.map(rank) },
    bottom: { people: d.bottom.people.map(rank), regions: d.bottom.regions.map(rank) },
    freshness:
      d.freshness.owners === 0
        ? `本${unit}没有需要填报的人`
        : `本${unit}已填报 ${d.freshness.reported}/${d.freshness.owners} 人` +
          (share === null ? "" : `（${Math.round(share * 100)}%）`),
    health: d.health.undelivered > 0 ? `有 ${d.health.undelivered} 条消息未能送达，请管理员查看` : "消息全部送达",
    empty: d.empty,
  };
}

function exceptionKinds(d: Digest) {
  const counted = d.exceptionCounts;
  const kinds = (Object.keys(KIND_TEXT) as DigestExceptionKind[]).map((kind) => ({
    kind,
    kindText: KIND_TEXT[kind],
    count: counted?.[kind] ?? d.exceptions.filter((e) => e.kind === kind).length,
  }));
  return kinds.filter((k) => k.count > 0);
}

function deltaPoints(now: number | null, before: number | null): number | null {
  return now === null || before === null ? null : (now - before) * 100;
}

export type DashboardView = ReturnType<typeof dashboardView>;
