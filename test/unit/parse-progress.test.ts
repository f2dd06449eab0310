import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmountExact, formatFigureEcho } from "../../src/domain/format-amount.ts";
import { MAX_AMOUNT } from "../../src/domain/parse-amount.ts";
import { type ParsedMessage, parseProgressMessage } from "../../src/domain/parse-progress.ts";
import { progressMessages } from "../fixtures/progress-messages.ts";

describe("parseProgressMessage", () => {
  it("is checked against at least 100 real-looking messages", () => {
    expect(progressMessages.length).toBeGreaterThanOrEqual(100);
    expect(new Set(progressMessages.map((c) => c.text)).size).toBe(progressMessages.length);
  });

  it.each(progressMessages)("reads $text", ({ text, expected }) => {
    expect(parseProgressMessage(text)).toStrictEqual(expected);
  });

  it("echoes what it understood", () => {
    const parsed = parseProgressMessage("本周完成35万，新客户2家");
    expect(parsed.kind === "report" && formatFigureEcho(parsed.figures)).toBe("销售额 35万元，新客户 2家");
  });

  it("refuses messages far longer than any answer to a prompt", () => {
    expect(parseProgressMessage(`35万，${"老客户复购".repeat(250)}`)).toStrictEqual({ kind: "unrecognized" });
  });
});

describe("which period a report is about", () => {
  const periodOf = (text: string) => {
    const parsed = parseProgressMessage(text);
    return parsed.kind === "report" ? (parsed.period ?? "current") : parsed.kind;
  };

  it.each([
    ["上周完成30万", "previous"],
    ["上周回款12万", "previous"],
    ["上个星期业绩20万，新客户1家", "previous"],
    ["上礼拜完成了8万 主要是老客户", "previous"],
    ["上一周签了10万", "previous"],
    ["上周五签了10万", "previous"],
    ["上周的，30万", "previous"],
    ["35万 上周的", "previous"],
    ["上周30万改成28万", "previous"],
    ["本周完成35万", "current"],
    ["这周35万", "current"],
    ["35万", "current"],
    ["改成30万", "current"],
    ["35万，比上周多5万", "current"],
    ["较上周增长5万，本周完成40万", "current"],
  ])("%s → %s", (text, period) => {
    expect(periodOf(text)).toBe(period);
  });

  it("keeps the figures and the note as for the current week", () => {
    expect(parseProgressMessage("上周回款12万，新客户2家，主要是老客户")).toStrictEqual({
      kind: "report",
      figures: [
        { metric: "COLLECTION", amount: 120_000n, text: "回款12万" },
        { metric: "NEW_CUSTOMERS", amount: 2n, text: "新客户2家" },
      ],
      correction: false,
      note: "主要是老客户",
      period: "previous",
      periodUnit: "WEEK",
    });
  });

  it.each([
    ["上周完成30万", "WEEK"],
    ["上月完成35万", "MONTH"],
    ["上个月回款12万", "MONTH"],
    ["上季度完成120万", "QUARTER"],
    ["上个季度签了80万", "QUARTER"],
  ] as const)("%s names the period before of cadence %s", (text, unit) => {
    expect(parseProgressMessage(text)).toMatchObject({ kind: "report", period: "previous", periodUnit: unit });
  });

  it.each(["本月完成35万", "这个月完成35万", "本季度完成100万", "35万，比上月多5万"])(
    "%s is the current period",
    (text) => {
      const parsed = parseProgressMessage(text);
      expect(parsed).toMatchObject({ kind: "report" });
      expect(parsed).not.toHaveProperty("period");
    },
  );

  it("refuses figures for last week and this week in one message", () => {
    expect(parseProgressMessage("上周回款12万，本周销售35万")).toMatchObject({
      kind: "invalid",
      reason: "AMBIGUOUS",
      message: expect.stringMatching(/既有上周又有本周.*分两条发送/),
    });
  });
});

const toFullWidth = (text: string) =>
  text.replace(/[0-9.,]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x20 + 0xff00));
const chatAlphabet = [
  ..."0123456789.,，-+负万亿千百十kKwW元块家个零一二两三四五六七八九壹拾点 本周完成回款新客户毛利改成不对是W第月日年%？?~👍：¥整多累计目标下其中没有无",
];
const chatLikeText = fc.array(fc.constantFrom(...chatAlphabet), { maxLength: 40 }).map((chars) => chars.join(""));

describe("properties", () => {
  const wholeYuan = fc.bigInt({ min: 0n, max: MAX_AMOUNT });

  it("reads back any echoed amount, also typed in full-width digits", () => {
    fc.assert(
      fc.property(wholeYuan, (value) => {
        const expected: ParsedMessage = {
          kind: "report",
          figures: [{ metric: "REVENUE", amount: value, text: formatAmountExact(value) }],
          correction: false,
        };
        expect(parseProgressMessage(formatAmountExact(value))).toStrictEqual(expected);
        const fullWidth = parseProgressMessage(toFullWidth(formatAmountExact(value)));
        expect(fullWidth.kind === "report" && fullWidth.figures.map((f) => f.amount)).toStrictEqual([value]);
      }),
      { numRuns: 1_000 },
    );
  });

  it("binds each amount to the metric word in front of it", () => {
    fc.assert(
      fc.property(wholeYuan, fc.bigInt({ min: 0n, max: 10_000n }), (collected, customers) => {
        const parsed = parseProgressMessage(
          `本周回款${formatAmountExact(collected)}，新客户${formatAmountExact(customers, "COUNT")}`,
        );
        expect(parsed.kind === "report" && parsed.figures.map((f) => [f.metric, f.amount])).toStrictEqual([
          ["COLLECTION", collected],
          ["NEW_CUSTOMERS", customers],
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws, and never reports a negative or oversized figure", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), chatLikeText), (text) => {
        const parsed = parseProgressMessage(text);
        if (parsed.kind === "report") {
          for (const f of parsed.figures) expect(f.amount >= 0n && f.amount <= MAX_AMOUNT).toBe(true);
        }
        if (parsed.kind === "invalid") expect(parsed.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 5_000 },
    );
  });
});
