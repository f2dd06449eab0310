import { attainment } from "../../src/domain/attainment.ts";
import type { Digest, DigestFigures, DigestRow } from "../../src/domain/digest-types.ts";

/** Figures with a YTD actual and target; the rest follow from them (enough for drawing). */
export function figures(ytdActual: bigint, ytdTarget: bigint, previousYtdAttainment: number | null): DigestFigures {
  return {
    ytdActual,
    ytdTarget,
    ytdAttainment: attainment(ytdActual, ytdTarget),
    periodActual: ytdActual / 10n,
    periodTarget: ytdTarget / 10n,
    periodAttainment: attainment(ytdActual / 10n, ytdTarget / 10n),
    previousYtdAttainment,
    annualTarget: ytdTarget * 5n,
    projectedYearEnd: ytdActual * 5n,
    requiredRunRate: ytdTarget / 10n,
  };
}

export function row(label: string, actual: bigint, target: bigint, previous: number | null): DigestRow {
  const f = figures(actual, target, previous);
  const delta = f.ytdAttainment === null || previous === null ? null : (f.ytdAttainment - previous) * 100;
  return { key: label, label, figures: f, deltaPoints: delta };
}

/** A director's digest of a plan split by region, with ten weeks of figures. */
export function sampleDigest(over: Partial<Digest> = {}): Digest {
  const rows = [
    row("华东", 4_200_000n, 4_000_000n, 0.98),
    row("华南", 3_100_000n, 3_600_000n, 0.9),
    row("华北", 2_000_000n, 2_900_000n, 0.74),
    row("西北", 600_000n, 1_000_000n, 0.55),
  ];
  const series = Array.from({ length: 10 }, (_, i) => ({
    period: `2026-W${String(i + 5).padStart(2, "0")}`,
    actual: 1_000_000n + BigInt(i) * 50_000n,
    expected: 1_150_000n,
    cumulativeActual: BigInt(i + 1) * 1_000_000n + BigInt((i * (i + 1)) / 2) * 50_000n,
    cumulativeExpected: BigInt(i + 1) * 1_150_000n,
  }));
  return {
    plan: { id: "p1", name: "2026 销售目标", fiscalYear: 2026, cadence: "WEEK", unit: "CNY", metric: "REVENUE" },
    period: "2026-W14",
    previousPeriod: "2026-W13",
    viewer: { userId: "director01", name: "王总", scope: "PLAN", role: "DIRECTOR" },
    totals: figures(9_900_000n, 11_500_000n, 0.84),
    breakdowns: [{ dimension: "REGION", title: "区域", rows }],
    exceptions: [],
    top: { people: [], regions: [] },
    bottom: { people: [], regions: [] },
    freshness: { owners: 10, reported: 9, share: 0.9 },
    health: { undelivered: 0 },
    series,
    empty: false,
    ...over,
  };
}
