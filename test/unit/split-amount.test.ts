import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupDigits } from "../../src/domain/format-amount.ts";
import type { SplitChildInput, SplitInput, SplitMethod } from "../../src/domain/split-amount.ts";
import { splitAmount } from "../../src/domain/split-amount.ts";
import { catchValidation } from "./validation-helpers.ts";

const TOTAL_2026 = 180_000_000n; // 1.8亿
const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
const regions = (extra: Partial<SplitChildInput>[] = []): SplitChildInput[] =>
  ["华东", "华南", "华北", "西北", "东北"].map((key, i) => ({ key, ...extra[i] }));

describe("splitAmount EQUAL", () => {
  it("splits 1.8亿 over five regions exactly", () => {
    expect(splitAmount({ total: TOTAL_2026, method: "EQUAL", children: regions() })).toEqual(
      Array(5).fill(36_000_000n),
    );
  });

  it("gives the odd yuan to the earliest children", () => {
    expect(splitAmount({ total: 180_000_002n, method: "EQUAL", children: regions() })).toEqual([
      36_000_001n,
      36_000_001n,
      36_000_000n,
      36_000_000n,
      36_000_000n,
    ]);
  });

  it("lets unlocked children absorb what locked children leave", () => {
    const children = regions([{ locked: true, amount: 60_000_000n }, {}, {}, { locked: true, amount: 10_000_000n }]);
    expect(splitAmount({ total: TOTAL_2026, method: "EQUAL", children })).toEqual([
      60_000_000n,
      36_666_667n,
      36_666_667n,
      10_000_000n,
      36_666_666n,
    ]);
  });

  it("accepts a zero total", () => {
    expect(splitAmount({ total: 0n, method: "EQUAL", children: regions() })).toEqual(Array(5).fill(0n));
  });
});

describe("splitAmount WEIGHTS", () => {
  it("splits by weight shares", () => {
    const children = regions([{ weight: 0.3 }, { weight: 0.25 }, { weight: 0.2 }, { weight: 0.1 }, { weight: 0.15 }]);
    expect(splitAmount({ total: TOTAL_2026, method: "WEIGHTS", children })).toEqual([
      54_000_000n,
      45_000_000n,
      36_000_000n,
      18_000_000n,
      27_000_000n,
    ]);
  });

  it("treats weights as relative (3 : 1 equals 0.75 : 0.25)", () => {
    const a = splitAmount({
      total: 1_000n,
      method: "WEIGHTS",
      children: [
        { key: "线上", weight: 3 },
        { key: "线下", weight: 1 },
      ],
    });
    const b = splitAmount({
      total: 1_000n,
      method: "WEIGHTS",
      children: [
        { key: "线上", weight: 0.75 },
        { key: "线下", weight: 0.25 },
      ],
    });
    expect(a).toEqual([750n, 250n]);
    expect(b).toEqual(a);
  });

  it("gives a zero weight nothing and ignores weights of locked children", () => {
    const children = [
      { key: "大客户", weight: 0, amount: 5n },
      { key: "中小企业", weight: 2 },
      { key: "渠道", locked: true, amount: 400n, weight: Number.NaN },
    ];
    expect(splitAmount({ total: 1_000n, method: "WEIGHTS", children })).toEqual([0n, 600n, 400n]);
  });
});

describe("splitAmount HISTORY", () => {
  // 2025 actuals per region summing to 1.2亿, with the reference growth rates.
  const history = regions([
    { lastYear: 36_000_000n, growth: 0.25 },
    { lastYear: 30_000_000n, growth: 0.2 },
    { lastYear: 24_000_000n, growth: 0.1 },
    { lastYear: 12_000_000n, growth: 0.05 },
    { lastYear: 18_000_000n, growth: 0.08 },
  ]);

  it("splits by last year × (1 + growth), 华东 +25 %, 西北 +5 %", () => {
    const result = splitAmount({ total: TOTAL_2026, method: "HISTORY", children: history });
    expect(sum(result)).toBe(TOTAL_2026);
    // Raw uplifted bases 45.0M, 36.0M, 26.4M, 12.6M, 19.44M = 139.44M, scaled up to 180M.
    expect(result).toEqual([58_089_501n, 46_471_601n, 34_079_174n, 16_265_060n, 25_094_664n]);
  });

  it("without growth, keeps last year's shares", () => {
    const children = regions([
      { lastYear: 36_000_000n },
      { lastYear: 30_000_000n },
      { lastYear: 24_000_000n },
      { lastYear: 12_000_000n },
      { lastYear: 18_000_000n },
    ]);
    expect(splitAmount({ total: TOTAL_2026, method: "HISTORY", children })).toEqual([
      54_000_000n,
      45_000_000n,
      36_000_000n,
      18_000_000n,
      27_000_000n,
    ]);
  });

  it("locks 华东 at 6,000万 and spreads the rest by history", () => {
    const children = history.map((c) => (c.key === "华东" ? { ...c, locked: true, amount: 60_000_000n } : c));
    const result = splitAmount({ total: TOTAL_2026, method: "HISTORY", children });
    expect(result[0]).toBe(60_000_000n);
    expect(sum(result)).toBe(TOTAL_2026);
    // 华南 36.0M of the remaining 94.44M uplifted base → 120M × 36/94.44.
    expect(result[1]).toBe(45_743_329n);
  });

  it("accepts a child with zero last year (a new region gets nothing unless locked)", () => {
    const children = [
      { key: "华东", lastYear: 10n },
      { key: "新区", lastYear: 0n, growth: 5 },
    ];
    expect(splitAmount({ total: 100n, method: "HISTORY", children })).toEqual([100n, 0n]);
  });
});

describe("splitAmount MANUAL", () => {
  it("returns the given amounts when they add up", () => {
    const children = regions([
      { amount: 60_000_000n },
      { amount: 45_000_000n },
      { amount: 35_000_000n },
      { amount: 15_000_000n },
      { amount: 25_000_000n, locked: true },
    ]);
    expect(splitAmount({ total: TOTAL_2026, method: "MANUAL", children })).toEqual([
      60_000_000n,
      45_000_000n,
      35_000_000n,
      15_000_000n,
      25_000_000n,
    ]);
  });

  it("says both sums when they do not add up", () => {
    const caught = catchValidation(() =>
      splitAmount({
        total: 1_200n,
        method: "MANUAL",
        children: [
          { key: "客户经理甲", amount: 600n },
          { key: "客户经理乙", amount: 400n },
        ],
      }),
    );
    expect(caught.message).toBe("手动分配金额合计 1,000 与上级目标 1,200 不一致");
    expect(caught.problems).toEqual([{ field: "children", message: caught.message }]);
  });

  it("requires an amount from every child", () => {
    const caught = catchValidation(() =>
      splitAmount({ total: 100n, method: "MANUAL", children: [{ key: "线上", amount: 100n }, { key: "线下" }] }),
    );
    expect(caught.problems).toEqual([
      { field: "children[1].amount", key: "线下", message: "子项「线下」缺少手动分配金额" },
    ]);
  });
});

describe("splitAmount validation", () => {
  const split = (input: Partial<SplitInput>) =>
    catchValidation(() => splitAmount({ total: 1_000n, method: "EQUAL", children: regions(), ...input }));

  it("rejects no children", () => {
    expect(split({ children: [] })).toEqual({
      message: "拆分至少需要一个子项",
      problems: [{ field: "children", message: "拆分至少需要一个子项" }],
    });
  });

  it("rejects a negative or non-bigint total and an unknown method", () => {
    expect(split({ total: -1n }).message).toBe("上级目标金额不能为负数：-1");
    expect(split({ total: 12.5 as unknown as bigint }).problems[0]?.field).toBe("total");
    expect(split({ method: "RANDOM" as SplitMethod }).message).toContain("不支持的拆分方式「RANDOM」");
  });

  it("rejects duplicate keys, naming both positions", () => {
    const caught = split({ children: [{ key: "华东" }, { key: "华南" }, { key: "华东" }] });
    expect(caught.problems).toEqual([
      { field: "children[2].key", key: "华东", message: "子项「华东」重复出现（第 1 个和第 3 个）" },
    ]);
  });

  it("rejects a missing key", () => {
    expect(split({ children: [{ key: " " }] }).problems[0]).toMatchObject({ field: "children[0].key" });
  });

  it("rejects negative and non-integer amounts", () => {
    const negative = split({ children: [{ key: "华东", locked: true, amount: -5n }, { key: "华南" }] });
    expect(negative.problems[0]).toEqual({
      field: "children[0].amount",
      key: "华东",
      message: "子项「华东」的金额不能为负数：-5",
    });
    const fractional = split({
      children: [{ key: "华东", locked: true, amount: 1.5 as unknown as bigint }, { key: "华南" }],
    });
    expect(fractional.message).toBe("子项「华东」的金额必须是整数（元），收到 1.5");
    const text = split({ children: [{ key: "华东", locked: true, amount: "100" as unknown as bigint }] });
    expect(text.problems[0]?.field).toBe("children[0].amount");
  });

  it("rejects a locked child without an amount", () => {
    expect(split({ children: [{ key: "华东", locked: true }, { key: "华南" }] }).problems).toEqual([
      { field: "children[0].amount", key: "华东", message: "子项「华东」已锁定但没有给出金额" },
    ]);
  });

  it("rejects locked children exceeding the total", () => {
    const caught = split({ children: [{ key: "华东", locked: true, amount: 1_500n }, { key: "华南" }] });
    expect(caught.message).toBe("锁定金额合计 1,500 超过上级目标 1,000");
  });

  it("rejects every child locked when the locked sum differs from the total", () => {
    const caught = split({
      children: [
        { key: "华东", locked: true, amount: 600n },
        { key: "华南", locked: true, amount: 300n },
      ],
    });
    expect(caught.message).toBe("所有子项均已锁定，锁定金额合计 900 与上级目标 1,000 不一致");
    expect(
      splitAmount({
        total: 900n,
        method: "WEIGHTS",
        children: [
          { key: "华东", locked: true, amount: 600n },
          { key: "华南", locked: true, amount: 300n },
        ],
      }),
    ).toEqual([600n, 300n]);
  });

  it("rejects missing, negative, NaN and infinite weights", () => {
    const caught = split({
      method: "WEIGHTS",
      children: regions([
        {},
        { weight: -1 },
        { weight: Number.NaN },
        { weight: Number.POSITIVE_INFINITY },
        { weight: 1 },
      ]),
    });
    expect(caught.problems).toEqual([
      {
        field: "children[0].weight",
        key: "华东",
        message: "子项「华东」缺少权重（按权重拆分时每个未锁定子项都要有权重）",
      },
      { field: "children[1].weight", key: "华南", message: "子项「华南」的权重不能为负数，收到 -1" },
      { field: "children[2].weight", key: "华北", message: "子项「华北」的权重必须是有限数字，收到 NaN" },
      { field: "children[3].weight", key: "西北", message: "子项「西北」的权重必须是有限数字，收到 Infinity" },
    ]);
    expect(caught.message).toMatch(/^拆分参数有 4 处问题：子项「华东」缺少权重/);
  });

  it("rejects all weights zero", () => {
    const caught = split({
      method: "WEIGHTS",
      children: regions([{ weight: 0 }, { weight: 0 }, { weight: 0 }, { weight: 0 }, { weight: 0 }]),
    });
    expect(caught.message).toBe("未锁定子项的权重全部为 0，无法分配剩余的 1,000");
  });

  it("rejects all last-year actuals zero, missing last year, and bad growth", () => {
    const zero = split({
      method: "HISTORY",
      children: [
        { key: "华东", lastYear: 0n },
        { key: "华南", lastYear: 0n, growth: 0.2 },
      ],
    });
    expect(zero.message).toBe("未锁定子项的去年实际全部为 0，无法分配剩余的 1,000");
    const bad = split({
      method: "HISTORY",
      children: [
        { key: "华东" },
        { key: "华南", lastYear: 10n, growth: -1 },
        { key: "华北", lastYear: 10n, growth: Number.NaN },
        { key: "西北", lastYear: -10n },
      ],
    });
    expect(bad.problems).toEqual([
      { field: "children[0].lastYear", key: "华东", message: "子项「华东」缺少去年实际（lastYear）" },
      { field: "children[1].growth", key: "华南", message: "子项「华南」的增长率必须大于 -100%，收到 -1" },
      { field: "children[2].growth", key: "华北", message: "子项「华北」的增长率必须是有限数字，收到 NaN" },
      { field: "children[3].lastYear", key: "西北", message: "子项「西北」的去年实际不能为负数：-10" },
    ]);
  });

  it("reports growth so close to -100 % that nothing is left as an all-zero base", () => {
    const caught = split({ method: "HISTORY", children: [{ key: "华东", lastYear: 10n, growth: -0.9999999 }] });
    expect(caught.message).toBe("未锁定子项的去年实际 ×（1 + 增长率）全部为 0，无法分配剩余的 1,000");
  });
});

describe("groupDigits", () => {
  it("groups thousands", () => {
    expect(groupDigits(0n)).toBe("0");
    expect(groupDigits(999n)).toBe("999");
    expect(groupDigits(1_200n)).toBe("1,200");
    expect(groupDigits(180_000_000n)).toBe("180,000,000");
    expect(groupDigits(-36_000_000n)).toBe("-36,000,000");
  });
});

describe("splitAmount properties", () => {
  const childArb = fc.record({
    weight: fc.double({ min: 0, max: 1_000, noNaN: true }),
    lastYear: fc.bigInt({ min: 0n, max: 10n ** 9n }),
    growth: fc.double({ min: -0.9, max: 2, noNaN: true }),
    locked: fc.boolean(),
    lockShare: fc.integer({ min: 0, max: 1_000 }),
  });
  const inputArb = fc
    .record({
      total: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      method: fc.constantFrom<SplitMethod>("EQUAL", "WEIGHTS", "HISTORY"),
      raw: fc.array(childArb, { minLength: 1, maxLength: 20 }),
      anchor: fc.nat(),
    })
    .map(({ total, method, raw, anchor }): SplitInput => {
      const anchorIndex = anchor % raw.length;
      // Locked amounts together never exceed the total: each takes at most 1/n of it.
      const children = raw.map((c, i): SplitChildInput => {
        const key = `客户经理${i}`;
        if (i !== anchorIndex && c.locked) {
          return { key, locked: true, amount: (total * BigInt(c.lockShare)) / 1_000n / BigInt(raw.length) };
        }
        // The anchor always has a positive weight, so every generated input is valid.
        const boost = i === anchorIndex ? 1 : 0;
        return { key, weight: c.weight + boost, lastYear: c.lastYear + BigInt(boost), growth: c.growth };
      });
      return { total, method, children };
    });

  it("is exact, never negative, keeps locked amounts and is deterministic", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = splitAmount(input);
        expect(result).toHaveLength(input.children.length);
        expect(sum(result)).toBe(input.total);
        for (const amount of result) expect(amount >= 0n).toBe(true);
        input.children.forEach((child, i) => {
          if (child.locked) expect(result[i]).toBe(child.amount);
        });
        expect(splitAmount(structuredClone(input))).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });

  it("MANUAL returns exactly the amounts that add up to the total", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 10n }), { minLength: 1, maxLength: 20 }), (amounts) => {
        const children = amounts.map((amount, i) => ({ key: `k${i}`, amount, locked: i % 3 === 0 }));
        expect(splitAmount({ total: sum(amounts), method: "MANUAL", children })).toEqual(amounts);
      }),
    );
  });

  it("EQUAL shares differ by at most one yuan", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 1, max: 150 }), (total, n) => {
        const children = Array.from({ length: n }, (_, i) => ({ key: `rep${i}` }));
        const result = splitAmount({ total, method: "EQUAL", children });
        const floor = total / BigInt(n);
        for (const share of result) expect(share === floor || share === floor + 1n).toBe(true);
        expect(sum(result)).toBe(total);
      }),
    );
  });
});
