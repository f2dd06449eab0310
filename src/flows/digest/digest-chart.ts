import type { EChartsOption } from "echarts";
import { attainment } from "../../domain/attainment.ts";
import type { Digest, DigestRow } from "../../domain/digest-types.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import type { AmountUnit } from "../../domain/metric.ts";
import { periodUnit, shortPeriod } from "../../domain/period-words.ts";

/*
 * The digest's charts as ECharts options: one module for the PNG the weekly digest sends (render-chart-png.ts,
 * ECharts SSR) and the dashboard's charts in the browser, so both draw the same thing. Pure and free of Node
 * imports, so the browser can load it. Amounts stay bigint in the digest; they become Numbers only here, for
 * drawing (a float is exact enough for a bar's length; every figure a person reads is formatted from the bigint).
 */

/** One chart: its option and the size the PNG is drawn at (the dashboard may draw it at any size). */
export interface ChartSpec {
  option: EChartsOption;
  width: number;
  height: number;
}

export interface DigestCharts {
  /** (a) YTD attainment of the first breakdown (region / team …), this period vs the previous one. */
  attainment: ChartSpec;
  /** (b) Actual vs expected per period, with the cumulative lines. */
  weekly: ChartSpec;
  /** (c) YTD attainment of the whole scope. */
  gauge: ChartSpec;
}

/** Rows drawn at most; the rest are summed into one 「其余 N 个」 row, so the image stays readable on a phone. */
export const MAX_CHART_ROWS = 16;
/** Bars longer than this (percent) are drawn at it: one runaway row must not squash the others to nothing. */
export const ATTAINMENT_AXIS_CAP = 200;
/** Width of the PNG: a phone shows it at about half, so the fonts below read like 11–14 px text. */
const WIDTH = 750;
const FONT = { title: 30, subtitle: 22, label: 22, value: 20 };
const COLORS = { current: "#3370ff", previous: "#c9cdd4", expected: "#ffb65d", miss: "#f53f3f" };
/** Every text is drawn in one family; the PNG renderer maps it to the CJK font it found. */
export const CHART_FONT_FAMILY = "sans-serif";

/** The three charts of a digest. */
export function digestChartOptions(digest: Digest): DigestCharts {
  return { attainment: attainmentChart(digest), weekly: weeklyChart(digest), gauge: gaugeChart(digest) };
}

/** A chart row: a label with this and last period's YTD attainment (ratios, null = nothing to measure). */
export interface AttainmentBar {
  label: string;
  current: number | null;
  previous: number | null;
}

/**
 * The rows of chart (a): the breakdown's rows in its order, at most {@link MAX_CHART_ROWS}. Beyond that the
 * largest targets are kept and the rest become one row 「其余 N 个」: its attainment is exact (summed actual over
 * summed target); its previous one is the target-weighted mean of theirs (the previous targets are not in the
 * digest — close, since every row's target grows period by period alike).
 */
export function attainmentBars(rows: readonly DigestRow[]): AttainmentBar[] {
  const bar = (r: DigestRow): AttainmentBar => ({
    label: r.label,
    current: r.figures.ytdAttainment,
    previous: r.figures.previousYtdAttainment,
  });
  if (rows.length <= MAX_CHART_ROWS) return rows.map(bar);
  const byTarget = [...rows].sort((a, b) => cmp(b.figures.ytdTarget, a.figures.ytdTarget));
  const kept = new Set(byTarget.slice(0, MAX_CHART_ROWS - 1));
  const rest = byTarget.slice(MAX_CHART_ROWS - 1);
  let actual = 0n;
  let target = 0n;
  let weighted = 0;
  let weights = 0;
  for (const r of rest) {
    actual += r.figures.ytdActual;
    target += r.figures.ytdTarget;
    if (r.figures.previousYtdAttainment !== null && r.figures.ytdTarget > 0n) {
      weighted += r.figures.previousYtdAttainment * Number(r.figures.ytdTarget);
      weights += Number(r.figures.ytdTarget);
    }
  }
  const summary: AttainmentBar = {
    label: `其余 ${rest.length} 个`,
    current: attainment(actual, target),
    previous: weights > 0 ? weighted / weights : null,
  };
  return [...rows.filter((r) => kept.has(r)).map(bar), summary];
}

function attainmentChart(digest: Digest): ChartSpec {
  const breakdown = digest.breakdowns[0];
  const bars: AttainmentBar[] = breakdown
    ? attainmentBars(breakdown.rows)
    : [{ label: "合计", current: digest.totals.ytdAttainment, previous: digest.totals.previousYtdAttainment }];
  const title = `${breakdown?.title ?? "整体"}年累计达成率`;
  const now = shortPeriod(digest.period);
  const before = digest.previousPeriod ? shortPeriod(digest.previousPeriod) : "上期";
  // Horizontal bars, first row on top: category axes draw bottom-up, hence the reversals.
  const labels = bars.map((b) => b.label).reverse();
  const values = (pick: (b: AttainmentBar) => number | null) => bars.map((b) => barValue(pick(b))).reverse();
  const rowHeight = 64;
  const top = 130;
  const height = top + bars.length * rowHeight + 40;
  return {
    width: WIDTH,
    height,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: CHART_FONT_FAMILY },
      title: {
        text: title,
        subtext: `${digest.plan.name} · 截至${now}，对比截至${before}`,
        left: 20,
        top: 12,
        textStyle: { fontSize: FONT.title, fontFamily: CHART_FONT_FAMILY },
        subtextStyle: { fontSize: FONT.subtitle, fontFamily: CHART_FONT_FAMILY },
      },
      legend: {
        data: [now, before],
        right: 20,
        top: 86,
        itemWidth: 28,
        itemHeight: 18,
        textStyle: { fontSize: FONT.value, fontFamily: CHART_FONT_FAMILY },
      },
      grid: { left: 20, right: 110, top, bottom: 40, containLabel: true },
      xAxis: {
        type: "value",
        min: 0,
        max: (extent: { max: number }) => Math.min(ATTAINMENT_AXIS_CAP, Math.max(100, Math.ceil(extent.max / 20) * 20)),
        axisLabel: { fontSize: FONT.value, formatter: "{value}%", fontFamily: CHART_FONT_FAMILY },
        splitLine: { lineStyle: { color: "#e5e6eb" } },
      },
      yAxis: {
        type: "category",
        data: labels,
        axisLabel: { fontSize: FONT.label, fontFamily: CHART_FONT_FAMILY, width: 200, overflow: "truncate" },
        axisTick: { show: false },
      },
      series: [
        {
          name: now,
          type: "bar",
          data: values((b) => b.current),
          itemStyle: { color: COLORS.current },
          barGap: "10%",
          label: {
            show: true,
            position: "right",
            fontSize: FONT.value,
            fontFamily: CHART_FONT_FAMILY,
            formatter: labelOf(bars.map((b) => b.current).reverse()),
          },
          markLine: {
            silent: true,
            symbol: "none",
            data: [{ xAxis: 100 }],
            lineStyle: { color: COLORS.miss, type: "dashed", width: 2 },
            label: { show: false },
          },
        },
        {
          name: before,
          type: "bar",
          data: values((b) => b.previous),
          itemStyle: { color: COLORS.previous },
        },
      ],
    },
  };
}

function weeklyChart(digest: Digest): ChartSpec {
  const unit = amountUnit(digest.plan.unit);
  const periods = digest.series.map((s) => shortPeriod(s.period));
  const num = (v: bigint) => Number(v);
  const axisLabel = {
    fontSize: FONT.value,
    fontFamily: CHART_FONT_FAMILY,
    formatter: (v: number) => formatAmountShort(BigInt(Math.round(v))),
  };
  const line = (name: string, data: bigint[], color: string, dashed: boolean) => ({
    name,
    type: "line" as const,
    yAxisIndex: 1,
    data: data.map(num),
    symbol: "none",
    lineStyle: { width: 3, color, type: dashed ? ("dashed" as const) : ("solid" as const) },
    itemStyle: { color },
  });
  return {
    width: WIDTH,
    height: 520,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: CHART_FONT_FAMILY },
      title: {
        text: `每${periodUnit(digest.period)}实际 vs 应完成`,
        subtext: `${digest.plan.name}（${unit === "COUNT" ? "家" : "元"}）`,
        left: 20,
        top: 12,
        textStyle: { fontSize: FONT.title, fontFamily: CHART_FONT_FAMILY },
        subtextStyle: { fontSize: FONT.subtitle, fontFamily: CHART_FONT_FAMILY },
      },
      legend: {
        top: 96,
        left: 20,
        itemWidth: 24,
        itemHeight: 14,
        textStyle: { fontSize: FONT.value, fontFamily: CHART_FONT_FAMILY },
      },
      tooltip: { trigger: "axis" },
      grid: { left: 20, right: 20, top: 150, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: periods, axisLabel: { fontSize: FONT.value, fontFamily: CHART_FONT_FAMILY } },
      yAxis: [
        { type: "value", axisLabel, splitLine: { lineStyle: { color: "#e5e6eb" } } },
        { type: "value", axisLabel, splitLine: { show: false } },
      ],
      series: [
        {
          name: "实际",
          type: "bar",
          data: digest.series.map((s) => num(s.actual)),
          itemStyle: { color: COLORS.current },
        },
        {
          name: "应完成",
          type: "bar",
          data: digest.series.map((s) => num(s.expected)),
          itemStyle: { color: COLORS.expected },
        },
        line(
          "累计实际",
          digest.series.map((s) => s.cumulativeActual),
          COLORS.current,
          false,
        ),
        line(
          "累计应完成",
          digest.series.map((s) => s.cumulativeExpected),
          COLORS.expected,
          true,
        ),
      ],
    },
  };
}

function gaugeChart(digest: Digest): ChartSpec {
  const t = digest.totals;
  const unit = amountUnit(digest.plan.unit);
  const pct = t.ytdAttainment === null ? null : t.ytdAttainment * 100;
  return {
    width: WIDTH,
    height: 520,
    option: {
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: CHART_FONT_FAMILY },
      title: {
        text: "年累计达成率",
        subtext: `${formatAmountShort(t.ytdActual, unit)} / 应完成 ${formatAmountShort(t.ytdTarget, unit)}`,
        left: "center",
        top: 12,
        textStyle: { fontSize: FONT.title, fontFamily: CHART_FONT_FAMILY },
        subtextStyle: { fontSize: FONT.subtitle, fontFamily: CHART_FONT_FAMILY },
      },
      series: [
        {
          type: "gauge",
          min: 0,
          max: 150,
          splitNumber: 6,
          center: ["50%", "58%"],
          radius: "66%",
          progress: { show: true, width: 22 },
          axisLine: {
            lineStyle: {
              width: 22,
              color: [
                [80 / 150, "#fbe3e3"],
                [100 / 150, "#fff1db"],
                [1, "#e3f9e9"],
              ],
            },
          },
          axisLabel: { fontSize: FONT.value, fontFamily: CHART_FONT_FAMILY, distance: 30 },
          splitLine: { length: 12 },
          pointer: { show: pct !== null },
          itemStyle: { color: pct !== null && pct < 100 ? COLORS.miss : COLORS.current },
          detail: {
            valueAnimation: false,
            fontSize: 44,
            fontFamily: CHART_FONT_FAMILY,
            offsetCenter: [0, "85%"],
            formatter: () => percentText(t.ytdAttainment),
          },
          // The needle stops at the dial's end; the text underneath says the real figure.
          data: [{ value: pct === null ? 0 : Math.min(Math.max(pct, 0), 150) }],
        },
      ],
    },
  };
}

/** Above this a percentage is written 「>999%」: a 22-digit figure helps nobody and does not fit the image. */
const PERCENT_SHOWN_MAX = 999;

/** "92.3%" (one decimal), "—" without a target, ">999%" beyond that. */
export function percentText(ratioValue: number | null): string {
  if (ratioValue === null) return "—";
  const pct = Math.round(ratioValue * 1000) / 10;
  return pct > PERCENT_SHOWN_MAX ? `>${PERCENT_SHOWN_MAX}%` : `${pct}%`;
}

/** A bar's length: percent, capped at the axis; null draws no bar. */
function barValue(r: number | null): number | null {
  return r === null ? null : Math.min(Math.max(Math.round(r * 10_000) / 100, 0), ATTAINMENT_AXIS_CAP);
}

/** The bar's label is the real figure (a capped bar still says 1200%). */
function labelOf(ratios: (number | null)[]) {
  return (p: { dataIndex: number }) => percentText(ratios[p.dataIndex] ?? null);
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function amountUnit(unit: string): AmountUnit {
  return unit === "COUNT" ? "COUNT" : "CNY";
}
