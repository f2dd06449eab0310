import fc from "fast-check";
import nzh from "nzh/cn";
import { describe, expect, it } from "vitest";
import { formatAmountExact, formatFigureEcho, groupDigits } from "../../src/domain/format-amount.ts";
import { type AmountResult, MAX_AMOUNT, parseAmount, parseCount, parseNumeral } from "../../src/domain/parse-amount.ts";

const ok = (value: bigint): AmountResult => ({ ok: true, value });
const refused = (reason: Exclude<AmountResult, { ok: true }>["reason"]): AmountResult => ({ ok: false, reason });

describe("parseAmount", () => {
  it.each<[string, AmountResult]>([
    // Arabic numerals, separators, decimals
    ["350000", ok(350_000n)],
    ["350,000", ok(350_000n)],
    ["350，000", ok(350_000n)],
    ["1,234,567元", ok(1_234_567n)],
    ["3.75万", ok(37_500n)],
    ["0.07万", ok(700n)],
    ["35.00万", ok(350_000n)],
    ["1.2亿", ok(120_000_000n)],
    // units and currency words
    ["35万", ok(350_000n)],
    ["35w", ok(350_000n)],
    ["35W", ok(350_000n)],
    ["35wan", ok(350_000n)],
    ["35k", ok(35_000n)],
    ["35K", ok(35_000n)],
    ["2千", ok(2_000n)],
    ["1.5百万", ok(1_500_000n)],
    ["3千万", ok(30_000_000n)],
    ["1万亿", ok(1_000_000_000_000n)],
    ["35万元", ok(350_000n)],
    ["35万元整", ok(350_000n)],
    ["2500块", ok(2_500n)],
    ["2500块钱", ok(2_500n)],
    ["¥350,000", ok(350_000n)],
    ["RMB 35万", ok(350_000n)],
    ["人民币35万", ok(350_000n)],
    // full-width, traditional, spaces anywhere
    ["３５万", ok(350_000n)],
    ["３５．５万", ok(355_000n)],
    ["35萬", ok(350_000n)],
    [" 3 5 万 元 ", ok(350_000n)],
    // Chinese numerals, colloquial and financial forms
    ["三十五万", ok(350_000n)],
    ["一百二十万", ok(1_200_000n)],
    ["一点二亿", ok(120_000_000n)],
    ["三点七五万", ok(37_500n)],
    ["两千五百", ok(2_500n)],
    ["两千五", ok(2_500n)],
    ["三万五", ok(35_000n)],
    ["一亿二", ok(120_000_000n)],
    ["一亿零二", ok(100_000_002n)],
    ["十万零五百", ok(100_500n)],
    ["一千零五", ok(1_005n)],
    ["十五", ok(15n)],
    ["壹拾万", ok(100_000n)],
    ["叁拾伍万元整", ok(350_000n)],
    ["1亿2000万", ok(120_000_000n)],
    ["3点5万", ok(35_000n)],
    ["零", ok(0n)],
    ["0", ok(0n)],
    ["0元", ok(0n)],
    ["-0", ok(0n)],
    // refused
    ["", refused("EMPTY")],
    ["   ", refused("EMPTY")],
    ["abc", refused("NOT_A_NUMBER")],
    ["万", refused("NOT_A_NUMBER")],
    ["35,5万", refused("NOT_A_NUMBER")],
    ["3,50", refused("NOT_A_NUMBER")],
    ["1e5", refused("NOT_A_NUMBER")],
    ["35万万", refused("NOT_A_NUMBER")],
    ["二十五百", refused("NOT_A_NUMBER")],
    ["七八万", refused("NOT_A_NUMBER")],
    ["二〇二六", refused("NOT_A_NUMBER")],
    ["35万左右", refused("NOT_A_NUMBER")],
    ["-5万", refused("NEGATIVE")],
    ["负五万", refused("NEGATIVE")],
    ["−5万", refused("NEGATIVE")],
    ["0.5元", refused("FRACTIONAL_YUAN")],
    ["1.23456万", refused("FRACTIONAL_YUAN")],
    ["1000万亿", ok(MAX_AMOUNT)],
    ["1001万亿", refused("TOO_LARGE")],
    ["9999999999999999", refused("TOO_LARGE")],
  ])("reads %j", (text, expected) => {
    expect(parseAmount(text)).toStrictEqual(expected);
  });
});

describe("parseCount", () => {
  it.each<[string, AmountResult]>([
    ["2", ok(2n)],
    ["2家", ok(2n)],
    ["两个", ok(2n)],
    ["十位", ok(10n)],
    ["3户", ok(3n)],
    ["1,200家", ok(1_200n)],
    ["0", ok(0n)],
    ["1.5家", refused("FRACTIONAL_YUAN")],
    ["-2", refused("NEGATIVE")],
    ["两家半", refused("NOT_A_NUMBER")],
  ])("reads %j", (text, expected) => {
    expect(parseCount(text)).toStrictEqual(expected);
  });
});

describe("parseNumeral", () => {
  it("tells an estimate between two numbers from an unreadable numeral", () => {
    expect(parseNumeral("七八万")).toStrictEqual({ ok: false, reason: "RANGE" });
    expect(parseNumeral("三四十万")).toStrictEqual({ ok: false, reason: "RANGE" });
    expect(parseNumeral("三五万")).toStrictEqual({ ok: false, reason: "NOT_A_NUMBER" });
  });

  it("keeps decimals exact", () => {
    expect(parseNumeral("3.75")).toStrictEqual({ ok: true, value: { digits: 375n, scale: 2 } });
    expect(parseNumeral("3.75万")).toStrictEqual({ ok: true, value: { digits: 37_500n, scale: 0 } });
  });
});

describe("formatAmountExact", () => {
  it.each<[bigint, string]>([
    [0n, "0元"],
    [35n, "35元"],
    [9_999n, "9,999元"],
    [10_000n, "1万元"],
    [12_300n, "1.23万元"],
    [12_340n, "12,340元"],
    [12_345n, "12,345元"],
    [350_000n, "35万元"],
    [375_000n, "37.5万元"],
    [36_000_000n, "3,600万元"],
    [99_999_999n, "99,999,999元"],
    [120_000_000n, "1.2亿元"],
    [123_400_000n, "12,340万元"],
    [180_000_000n, "1.8亿元"],
    [MAX_AMOUNT, "10,000,000亿元"],
    [-50_000n, "-5万元"],
  ])("%s → %s", (value, text) => {
    expect(formatAmountExact(value)).toBe(text);
  });

  it("counts customers in 家", () => {
    expect(formatAmountExact(2n, "COUNT")).toBe("2家");
    expect(formatAmountExact(0n, "COUNT")).toBe("0家");
    expect(formatAmountExact(12_000n, "COUNT")).toBe("12,000家");
  });

  it("echoes figures with their metric names", () => {
    expect(
      formatFigureEcho([
        { metric: "REVENUE", amount: 350_000n, text: "完成35万" },
        { metric: "NEW_CUSTOMERS", amount: 2n, text: "新客户2家" },
      ]),
    ).toBe("销售额 35万元，新客户 2家");
    expect(
      formatFigureEcho([
        { metric: "COLLECTION", amount: 120_000n, text: "回款12万" },
        { metric: "GROSS_PROFIT", amount: 12_345n, text: "毛利12345" },
      ]),
    ).toBe("回款 12万元，毛利 12,345元");
    expect(formatFigureEcho([])).toBe("");
  });
});

describe("properties", () => {
  const wholeYuan = fc.bigInt({ min: 0n, max: MAX_AMOUNT });

  it("reads back every echoed amount exactly", () => {
    fc.assert(
      fc.property(wholeYuan, (value) => {
        expect(parseAmount(formatAmountExact(value))).toStrictEqual(ok(value));
        expect(parseCount(formatAmountExact(value, "COUNT"))).toStrictEqual(ok(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("reads grouped digits and 万 with four decimals without float drift", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.integer({ min: 0, max: 9_999 }), (wan, rest) => {
        const expected = wan * 10_000n + BigInt(rest);
        expect(parseAmount(`${wan}.${String(rest).padStart(4, "0")}万`)).toStrictEqual(ok(expected));
        expect(parseAmount(`${groupDigits(expected)}元`)).toStrictEqual(ok(expected));
      }),
      { numRuns: 1_000 },
    );
  });

  it("reads Chinese numerals as nzh writes them, plain and financial", () => {
    fc.assert(
      fc.property(wholeYuan, (value) => {
        expect(parseAmount(nzh.encodeS(value.toString()))).toStrictEqual(ok(value));
        expect(parseAmount(nzh.encodeB(value.toString()))).toStrictEqual(ok(value));
      }),
      { numRuns: 1_000 },
    );
  });

  it("never throws, and accepts only whole amounts within bounds", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 50 }), amountLikeText), (text) => {
        for (const result of [parseAmount(text), parseCount(text)]) {
          if (result.ok) expect(result.value >= 0n && result.value <= MAX_AMOUNT).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

const amountLikeText = fc
  .array(fc.constantFrom(..."0123456789.,，-负万亿千百十kKwW元块整零一二两三四五六七八九壹拾佰仟点 "), {
    maxLength: 24,
  })
  .map((chars) => chars.join(""));
