import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FunnelInput } from "../../src/domain/funnel.ts";
import { funnelTargets } from "../../src/domain/funnel.ts";
import { WEIGHT_SCALE } from "../../src/domain/largest-remainder.ts";
import { catchValidation } from "./validation-helpers.ts";

/** A 华东 rep: 420万 for the year, 15万 per deal, 线索 → 拜访 → 方案 → 成交. */
const rep: FunnelInput = {
  revenue: 4_200_000n,
  weeks: 52,
  avgDealSize: 150_000n,
  stages: [
    { name: "线索", conversion: 0.3 },
    { name: "拜访", conversion: 0.5 },
    { name: "方案", conversion: 0.4 },
  ],
};

describe("funnelTargets", () => {
  it("back-calculates wins and each stage, per year and per week", () => {
    expect(funnelTargets(rep)).toEqual({
      wins: { total: 28n, weekly: 1n },
      stages: [
        { name: "线索", conversion: 0.3, total: 467n, weekly: 9n },
        { name: "拜访", conversion: 0.5, total: 140n, weekly: 3n },
        { name: "方案", conversion: 0.4, total: 70n, weekly: 2n },
      ],
    });
  });

  it("rounds wins up when revenue is not a whole number of deals", () => {
    expect(funnelTargets({ ...rep, revenue: 4_200_001n }).wins.total).toBe(29n);
    expect(funnelTargets({ ...rep, revenue: 0n })).toEqual({
      wins: { total: 0n, weekly: 0n },
      stages: rep.stages.map((s) => ({ ...s, total: 0n, weekly: 0n })),
    });
  });

  it("divides exactly where floats would not (3 / 0.3 is 10, not 10.000000000000002)", () => {
    const result = funnelTargets({
      revenue: 3n,
      weeks: 1,
      avgDealSize: 1n,
      stages: [{ name: "拜访", conversion: 0.3 }],
    });
    expect(result.stages[0]?.total).toBe(10n);
  });

  it("works with no stages and a conversion of 100 %", () => {
    expect(funnelTargets({ ...rep, stages: [] })).toEqual({ wins: { total: 28n, weekly: 1n }, stages: [] });
    expect(funnelTargets({ ...rep, weeks: 4, stages: [{ name: "签约", conversion: 1 }] }).stages).toEqual([
      { name: "签约", conversion: 1, total: 28n, weekly: 7n },
    ]);
  });

  it("rejects a non-positive deal size, bad weeks and a negative revenue", () => {
    expect(catchValidation(() => funnelTargets({ ...rep, avgDealSize: 0n })).problems).toEqual([
      { field: "avgDealSize", message: "平均客单价必须是大于 0 的整数（元），收到 0" },
    ]);
    expect(catchValidation(() => funnelTargets({ ...rep, weeks: 0 })).problems[0]?.field).toBe("weeks");
    expect(catchValidation(() => funnelTargets({ ...rep, weeks: 1.5 })).message).toBe(
      "周数必须是不小于 1 的整数，收到 1.5",
    );
    expect(catchValidation(() => funnelTargets({ ...rep, revenue: -1n })).problems[0]?.field).toBe("revenue");
  });

  it("rejects conversions outside (0, 1], too small to represent, and bad stage names", () => {
    for (const conversion of [0, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const caught = catchValidation(() => funnelTargets({ ...rep, stages: [{ name: "拜访", conversion }] }));
      expect(caught.problems).toEqual([
        {
          field: "stages[0].conversion",
          message: `阶段「拜访」的转化率必须大于 0 且不超过 1，收到 ${String(conversion)}`,
        },
      ]);
    }
    const tiny = catchValidation(() => funnelTargets({ ...rep, stages: [{ name: "线索", conversion: 1e-7 }] }));
    expect(tiny.message).toBe("阶段「线索」的转化率 1e-7 太小，至少为 0.000001");
    const names = catchValidation(() =>
      funnelTargets({
        ...rep,
        stages: [
          { name: "", conversion: 0.5 },
          { name: "拜访", conversion: 0.5 },
          { name: "拜访", conversion: 0.5 },
        ],
      }),
    );
    expect(names.problems).toEqual([
      { field: "stages[0].name", message: "第 1 个漏斗阶段缺少名称" },
      { field: "stages[2].name", message: "漏斗阶段「拜访」重复出现" },
    ]);
  });

  it("each number is the smallest that reaches the next stage", () => {
    const stageArb = fc.record({ name: fc.string(), conversion: fc.double({ min: 0.001, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 10n }),
        fc.bigInt({ min: 1n, max: 10n ** 7n }),
        fc.integer({ min: 1, max: 53 }),
        fc.array(stageArb, { maxLength: 5 }),
        (revenue, avgDealSize, weeks, rawStages) => {
          const stages = rawStages.map((s, i) => ({ ...s, name: `${i}:${s.name}` }));
          const result = funnelTargets({ revenue, weeks, avgDealSize, stages });
          const wins = result.wins.total;
          expect(wins * avgDealSize >= revenue && (wins - 1n) * avgDealSize < revenue).toBe(true);
          let next = wins;
          for (let i = stages.length - 1; i >= 0; i--) {
            const { total, weekly } = result.stages[i]!;
            const scaled = BigInt(Math.round(stages[i]!.conversion * Number(WEIGHT_SCALE)));
            expect(total * scaled >= next * WEIGHT_SCALE).toBe(true);
            expect(total === 0n || (total - 1n) * scaled < next * WEIGHT_SCALE).toBe(true);
            expect(weekly * BigInt(weeks) >= total && (weekly - 1n) * BigInt(weeks) < total).toBe(true);
            next = total;
          }
        },
      ),
    );
  });
});
