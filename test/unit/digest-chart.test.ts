import type { BarSeriesOption, GaugeSeriesOption, LineSeriesOption } from "echarts";
import { describe, expect, it } from "vitest";
import {
  ATTAINMENT_AXIS_CAP,
  attainmentBars,
  digestChartOptions,
  MAX_CHART_ROWS,
  percentText,
} from "../../src/flows/digest/digest-chart.ts";
import { row, sampleDigest } from "../helpers/sample-digest.ts";

const MAX = 2n ** 63n - 1n;

type Labelled = { formatter: (p: { dataIndex: number }) => string };
const seriesOf = (o: unknown) => (o as { series: unknown[] }).series;

describe("digest chart options", () => {
  it("(a) draws the first breakdown's rows, top to bottom in its order, this period against the last", () => {
    const { attainment } = digestChartOptions(sampleDigest());
    const o = attainment.option as { yAxis: { data: string[] }; legend: { data: string[] } };
    // Category axes draw bottom-up: the first row is the last category.
    expect(o.yAxis.data).toEqual(["西北", "华北", "华南", "华东"]);
    expect(o.legend.data).toEqual(["W14", "W13"]);
    const [now, before] = seriesOf(attainment.option) as [BarSeriesOption, BarSeriesOption];
    expect(now.data).toEqual([60, 68.97, 86.11, 105]);
    expect(before.data).toEqual([55, 74, 90, 98]);
    const label = now.label as unknown as Labelled;
    expect([0, 1, 2, 3].map((i) => label.formatter({ dataIndex: i }))).toEqual(["60%", "69%", "86.1%", "105%"]);
    expect((attainment.option as { title: { text: string } }).title.text).toBe("区域年累计达成率");
  });

  it("keeps at most 16 rows: the largest targets, the rest summed exactly into one row", () => {
    const rows = Array.from({ length: 20 }, (_, i) =>
      row(`组${i + 1}`, 100n * BigInt(i + 1), 200n * BigInt(i + 1), 0.4),
    );
    const bars = attainmentBars(rows);
    expect(bars).toHaveLength(MAX_CHART_ROWS);
    // Rows 6–20 have the largest targets and keep the breakdown's order; rows 1–5 are summed.
    expect(bars.slice(0, 15).map((b) => b.label)).toEqual(rows.slice(5).map((r) => r.label));
    expect(bars[15]).toEqual({ label: "其余 5 个", current: 0.5, previous: 0.4 });
    expect(attainmentBars(rows.slice(0, 16)).map((b) => b.label)).toEqual(rows.slice(0, 16).map((r) => r.label));
    const tall = digestChartOptions(sampleDigest({ breakdowns: [{ dimension: "TEAM", title: "团队", rows }] }));
    expect(tall.attainment.height).toBeGreaterThan(digestChartOptions(sampleDigest()).attainment.height);
  });

  it("without a breakdown, draws the scope's total", () => {
    const { attainment } = digestChartOptions(sampleDigest({ breakdowns: [] }));
    expect((attainment.option as { yAxis: { data: string[] } }).yAxis.data).toEqual(["合计"]);
  });

  it("amounts at the bigint limit become finite numbers; a runaway bar is capped, its label says so", () => {
    const huge = row("极限", MAX, 1n, null);
    const digest = sampleDigest({
      breakdowns: [{ dimension: "REGION", title: "区域", rows: [huge, row("华东", 0n, 0n, null)] }],
      series: [{ period: "2026-W14", actual: MAX, expected: MAX, cumulativeActual: MAX, cumulativeExpected: MAX }],
      totals: huge.figures,
    });
    const charts = digestChartOptions(digest);
    const [now] = seriesOf(charts.attainment.option) as [BarSeriesOption];
    expect(now.data).toEqual([null, ATTAINMENT_AXIS_CAP]); // no target: no bar
    const label = now.label as unknown as Labelled;
    expect([label.formatter({ dataIndex: 0 }), label.formatter({ dataIndex: 1 })]).toEqual(["—", ">999%"]);
    for (const s of seriesOf(charts.weekly.option) as (BarSeriesOption | LineSeriesOption)[]) {
      expect(s.data).toEqual([Number(MAX)]);
      expect(Number.isFinite(Number(MAX))).toBe(true);
    }
    const gauge = charts.gauge.option as { title: { subtext: string }; series: GaugeSeriesOption[] };
    expect(gauge.title.subtext).toBe("92,233,720,368.55亿元 / 应完成 1元");
    expect(gauge.series[0]?.data).toEqual([{ value: 150 }]);
  });

  it("writes percentages as people read them", () => {
    expect([percentText(null), percentText(0), percentText(0.8612), percentText(1), percentText(12)]).toEqual([
      "—",
      "0%",
      "86.1%",
      "100%",
      ">999%",
    ]);
  });
});
