import { METRIC_LABELS, METRICS } from "../metric.ts";
import type { Cadence } from "../period-key.ts";
import { ambiguous, type Candidate, clauseEnd, clausePrefix, type Marker, type Problem } from "./text-spans.ts";

/* Settling figures: corrections, running totals and years, duplicates, and which week they are about. */

interface Settled {
  figures: Candidate[];
  superseded: Candidate[];
  correction: boolean;
}

/** Applies corrections and scope, then refuses what is still two figures for one metric. */
export function settle(candidates: Candidate[], markers: Marker[], src: string): Settled | { problem: Problem } {
  const sameMetricAfter = (c: Candidate, at: number) => candidates.some((o) => o.metric === c.metric && o.start >= at);
  const superseded = candidates.filter((c) =>
    markers.some((m) =>
      m.kind === "replace"
        ? c.end <= m.start && sameMetricAfter(c, m.end)
        : candidates.find((o) => o.start >= m.end) === c && candidates.some((o) => o !== c && o.metric === c.metric),
    ),
  );
  const current = candidates.filter((c) => !superseded.includes(c));
  const figures = current.filter(
    (c) => c.scope === "period" || !current.some((o) => o.metric === c.metric && o.scope === "period"),
  );
  const yearly = figures.find((c) => c.scope === "year");
  if (yearly) {
    const text = `${clausePrefix(src, yearly.start)}${src.slice(yearly.start, yearly.end)}`.trim();
    return { problem: ambiguous(`“${text}”像是全年的数，请发本期的数字，例如“本周完成35万”。`) };
  }
  for (const metric of METRICS) {
    const same = figures.filter((c) => c.metric === metric);
    if (same.length < 2) continue;
    const texts = same.map((c) => src.slice(c.start, c.end).trim()).join("、");
    return {
      problem: ambiguous(
        `消息里有${same.length}个${METRIC_LABELS[metric]}（${texts}），不确定以哪个为准。请只发一个，或写明指标，例如“销售额35万，回款12万”。`,
      ),
    };
  }
  const correction = markers.some((m) => m.kind === "replace") || superseded.length > 0;
  return { figures, superseded, correction };
}

// 「上周」「上个星期」「上月」「上个月」「上季度」 — the period before, of whichever cadence it names.
const PREVIOUS_WEEK = /(?<![比较同于])上\s*(?:一\s*)?(?:个\s*)?(周|星期|礼拜|月|季度|季)/;
const CURRENT_WEEK = /(?:本|这|这一|当)\s*(?:个\s*)?(?:周|星期|礼拜|月|季度|季)/;

/**
 * The cadence a message's 「上…」 names: 「上月完成35万」 is about last month, which only a monthly plan has.
 * Undefined when the message names no earlier period.
 */
export function previousUnit(src: string): Cadence | undefined {
  const unit = PREVIOUS_WEEK.exec(src)?.[1];
  if (unit === undefined) return undefined;
  if (unit === "月") return "MONTH";
  return unit.startsWith("季") ? "QUARTER" : "WEEK";
}

/**
 * Which week the figures are about: the week named in a figure's own clause ("上周回款12万，本周销售35万" names
 * both, which is refused), else the one named anywhere in the message ("上周的，30万"), else the current one.
 */
export function periodReferred(src: string, figures: readonly Candidate[]): "current" | "previous" | Problem {
  const clauseOf = (c: Candidate) => `${clausePrefix(src, c.start)}${src.slice(c.start, clauseEnd(src, c.end))}`;
  const named = figures.map((c) => {
    const clause = clauseOf(c);
    if (PREVIOUS_WEEK.test(clause)) return "previous";
    return CURRENT_WEEK.test(clause) ? "current" : undefined;
  });
  if (named.includes("previous") && named.includes("current")) {
    return ambiguous("一条消息里既有上周又有本周的数字，请分两条发送，例如先发“上周完成30万”，再发“本周完成35万”。");
  }
  const found = named.find((n) => n !== undefined);
  if (found) return found;
  return PREVIOUS_WEEK.test(src) && !CURRENT_WEEK.test(src) ? "previous" : "current";
}
