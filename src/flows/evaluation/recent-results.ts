import type { Tx } from "../../db/database.ts";

/** One evaluated period of an owner, as a card shows it ("W14 62%", "W15 未填报", "W16 免考核"). */
export interface PeriodResult {
  period: string;
  target: bigint;
  actual: bigint | null;
  excused: boolean;
}

/**
 * An owner's latest evaluated periods of a plan, oldest first, and the year to date at the latest: what an
 * approver weighs a target change against. Other flows read evaluations through this, not the table.
 */
export async function recentResults(
  tx: Tx,
  a: { planId: string; userId: string; take: number },
): Promise<{ periods: PeriodResult[]; ytd: { actual: bigint; target: bigint } | null }> {
  const rows = await tx.periodEvaluation.findMany({
    where: { planId: a.planId, userId: a.userId },
    orderBy: { period: "desc" },
    take: a.take,
  });
  const latest = rows[0];
  return {
    periods: rows.reverse().map((r) => ({
      period: r.period,
      target: r.target,
      actual: r.actual,
      excused: r.status === "EXCUSED",
    })),
    ytd: latest ? { actual: latest.ytdActual, target: latest.ytdTarget } : null,
  };
}
